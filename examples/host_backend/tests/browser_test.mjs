// SPDX-License-Identifier: MIT
// The four widget pages in a real browser: Debian's chromium, driven by playwright-core, against
// jwtmint-host-backend on a loopback port. Tokens the stand-in widget receives are verified with
// jose (independent of jwtmint) against the public key the server printed.
//
//   node browser_test.mjs --server PATH/TO/jwtmint-host-backend --artifacts DIR [--require]
//
// Exits 77 (ctest's "skipped") when chromium or node_modules (npm ci) is missing, unless
// --require is given. Screenshots of every page are saved in --artifacts.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const SKIP = 77
const here = path.dirname(fileURLToPath(import.meta.url))
const { values: args } = parseArgs({
  options: {
    server: { type: 'string' },
    artifacts: { type: 'string', default: path.join(os.tmpdir(), 'jwtmint-host-backend-screenshots') },
    require: { type: 'boolean', default: false },
  },
})

function skip(reason) {
  if (args.require) {
    console.error(`FAIL: ${reason}`)
    process.exit(1)
  }
  console.log(`SKIP: ${reason}`)
  process.exit(SKIP)
}

const chromiumPath = process.env.JWTMINT_CHROMIUM || '/usr/bin/chromium'
if (!fs.existsSync(chromiumPath)) skip(`${chromiumPath} not found (apt-get install chromium)`)
let chromium, jose
try {
  ;({ chromium } = await import('playwright-core'))
  jose = await import('jose')
} catch (err) {
  skip(`playwright-core or jose not installed (run: npm ci --prefix ${here}): ${err.message}`)
}
assert.ok(args.server, '--server PATH is required')
fs.mkdirSync(args.artifacts, { recursive: true })

const DEMO = { ada: 'ada-demo', grace: 'grace-demo' }
const ADA_ROLES = ['Accounting Team', 'Support Team']
const TOKEN_PATH = '/api/customgpt-jwt'
const LOAD_PAGES = [
  { path: '/standard-embed', widget: 'CustomGPTEmbed', shot: 'standard-embed' },
  { path: '/ai-assistant', widget: 'CustomGPTAiAssistant', shot: 'ai-assistant' },
  { path: '/instant-viewer', widget: 'CustomGPTInstantViewer', shot: 'instant-viewer' },
]

// The server --------------------------------------------------------------------------------

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jwtmint-browser-test-'))
const server = { proc: null, base: '', pem: '', stdout: '', exit: null }

// Whatever ends this process, the server it started goes with it.
process.on('exit', () => {
  if (server.proc && server.proc.exitCode === null && server.proc.signalCode === null) server.proc.kill('SIGKILL')
})

function startServer() {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('JWTMINT_')))
  const proc = spawn(args.server, ['--port', '0', '--data-dir', path.join(tmp, 'data')], {
    cwd: tmp,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  server.proc = proc
  server.exit = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })))
  proc.stderr.on('data', (d) => process.stderr.write(`[server] ${d}`))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not report listening within 30 s')), 30000)
    proc.on('exit', (code) => reject(new Error(`server exited with ${code} before listening`)))
    readline.createInterface({ input: proc.stdout }).on('line', (line) => {
      server.stdout += line + '\n'
      const m = line.match(/^Listening on (http:\/\/127\.0\.0\.1:\d+)\//)
      if (m) {
        clearTimeout(timer)
        server.base = m[1]
        server.pem = server.stdout.match(/-----BEGIN PUBLIC KEY-----\n[\s\S]*?-----END PUBLIC KEY-----\n/)[0]
        resolve()
      }
    })
  })
}

/** Lines of the server's request log for GET /api/customgpt-jwt with this status and user. */
function tokenLogLines(status, user) {
  const re = new RegExp(`^\\S+ 127\\.0\\.0\\.1 GET /api/customgpt-jwt ${status} user=${user} `, 'gm')
  return (server.stdout.match(re) || []).length
}

// The browser -------------------------------------------------------------------------------

let context, page, publicKey, keyId
const pageErrors = []
const tokenResponses = [] // statuses of /api/customgpt-jwt seen by the browser, in order

before(async () => {
  await startServer()
  publicKey = await jose.importSPKI(server.pem, 'RS256', { extractable: true })
  keyId = await jose.calculateJwkThumbprint(await jose.exportJWK(publicKey))  // RFC 7638, as the kid
  const userDataDir = fs.mkdtempSync(path.join(tmp, 'chromium-profile-'))
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1100, height: 860 },
    timeout: 60000,
  })
  page = context.pages()[0] || (await context.newPage())
  page.setDefaultTimeout(15000)
  page.on('pageerror', (err) => pageErrors.push(err.message))
  page.on('response', (r) => {
    if (new URL(r.url()).pathname === TOKEN_PATH) tokenResponses.push(r.status())
  })
})

after(async () => {
  await context?.close()
  if (server.proc && server.proc.exitCode === null) server.proc.kill('SIGKILL')
  fs.rmSync(tmp, { recursive: true, force: true })
})

async function shot(name) {
  const file = path.join(args.artifacts, `${name}.png`)
  await page.screenshot({ path: file, fullPage: true })
  console.log(`screenshot: ${file}`)
}

const widgetState = () => page.evaluate(() => JSON.parse(JSON.stringify(window.__jwtmintWidget || null)))

/**
 * Opens path (until its load event) and returns a function giving the statuses of the token
 * fetches made since. Callers wait for what the page does next themselves: 'networkidle' never
 * comes on a signed-out page, as chromium keeps the unread body of the 401 open.
 */
async function open(path) {
  const before = tokenResponses.length
  await page.goto(server.base + path, { waitUntil: 'load' })
  return () => tokenResponses.slice(before)
}

async function verifyAda(token) {
  const { payload, protectedHeader } = await jose.jwtVerify(token, publicKey, { algorithms: ['RS256'] })
  assert.deepEqual(protectedHeader, { alg: 'RS256', typ: 'JWT', kid: keyId })
  assert.equal(payload.sub, 'ada')
  assert.equal(payload.email, 'ada@example.com')
  assert.deepEqual(payload.roles, ADA_ROLES)
  assert.ok(payload.exp - payload.iat <= 600, `exp - iat = ${payload.exp - payload.iat}`)
  assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 30, 'iat is now')
  return payload
}

// The tests, in order: signed out, sign in, each page, Live Chat, sign out ------------------------

test('signed out: each page gets 401 and no token reaches the widget', async () => {
  await open('/')
  await shot('index-signed-out')
  for (const p of LOAD_PAGES) {
    const fetched = await open(p.path)
    await page.waitForSelector('#jwt-status[data-kind="error"]')
    assert.deepEqual(fetched(), [401], p.path)
    const state = await widgetState()
    assert.deepEqual(state.tokens, [], p.path)
    assert.match(await page.textContent('#jwt-status'), /401/)
    assert.match(await page.textContent('.jwtmint-standin'), /not the vendor's/)
    if (p.path === '/standard-embed') await shot('signed-out-standard-embed')
  }
  const fetched = await open('/live-chat')
  await page.waitForTimeout(500) // give a wrongly eager page the chance to fetch
  assert.deepEqual(fetched(), [], 'Live Chat fetches nothing before the bubble opens')
  await page.click('#jwtmint-standin-bubble')
  await page.waitForFunction(() => window.__jwtmintWidget.errors.length === 1)
  const state = await widgetState()
  assert.deepEqual(fetched(), [401])
  assert.equal(state.resolverCalls, 1)
  assert.deepEqual(state.tokens, [])
  assert.match(await page.textContent('#jwtmint-standin-chat'), /No token: Unable to create CustomGPT\.ai JWT/)
  await shot('signed-out-live-chat')
  assert.equal(tokenLogLines(200, '-'), 0)
})

test('sign in through the form', async () => {
  await open('/')
  await page.fill('input[name="username"]', 'ada')
  await page.fill('input[name="password"]', 'wrong password')
  await Promise.all([page.waitForLoadState('load'), page.click('button[type="submit"]')])
  assert.match(await page.textContent('.error'), /Wrong username or password/)
  await page.fill('input[name="username"]', 'ada')
  await page.fill('input[name="password"]', DEMO.ada)
  await Promise.all([page.waitForURL(server.base + '/'), page.click('#sign-in button[type="submit"]')])
  assert.equal(await page.textContent('#signed-in-user'), 'ada')
  const cookies = await context.cookies(server.base)
  const session = cookies.find((c) => c.name === 'jwtmint_session')
  assert.ok(session, 'session cookie set')
  assert.equal(session.httpOnly, true)
  assert.equal(session.sameSite, 'Lax')
  assert.equal(await page.evaluate(() => document.cookie), '', 'the cookie is HttpOnly: scripts cannot read it')
  await shot('index-signed-in')
})

for (const p of LOAD_PAGES) {
  test(`${p.path}: the token fetched on load reaches ${p.widget} and verifies`, async () => {
    const fetched = await open(p.path)
    await page.waitForFunction(() => window.__jwtmintWidget.tokens.length > 0)
    const state = await widgetState()
    assert.deepEqual(fetched(), [200])
    assert.equal(state.tokens.length, 1)
    assert.deepEqual(state.errors, [])
    const entry = state.tokens[0]
    assert.equal(entry.widget, p.widget)
    assert.equal(entry.via, `${p.widget}.setJwtToken`)
    const payload = await verifyAda(entry.token)
    assert.deepEqual(entry.claims, payload, 'the stand-in decoded the same claims')
    await page.waitForSelector('#jwt-status[data-kind="ok"]')
    const panel = page.locator('.jwtmint-standin')
    assert.equal(await panel.count(), 1)
    assert.ok(await panel.isVisible())
    const text = await panel.textContent()
    assert.match(text, /not the vendor's/)
    assert.match(text, /session email: ada@example\.com \(email\)/)
    assert.match(text, /"Accounting Team"/)
    await shot(p.shot)
  })
}

test('/live-chat: the resolver runs only when the bubble opens, with a fresh token each time', async () => {
  const logged = tokenLogLines(200, 'ada')
  const fetched = await open('/live-chat')
  await page.waitForTimeout(500) // give a wrongly eager page the chance to fetch
  let state = await widgetState()
  assert.deepEqual(fetched(), [], 'nothing fetched on load')
  assert.equal(state.resolverCalls, 0)
  assert.deepEqual(state.tokens, [])
  assert.ok(await page.isVisible('#jwtmint-standin-bubble'))
  assert.ok(await page.isHidden('#jwtmint-standin-chat'))
  await shot('live-chat-closed')

  await page.click('#jwtmint-standin-bubble')
  await page.waitForFunction(() => window.__jwtmintWidget.tokens.length === 1)
  state = await widgetState()
  assert.deepEqual(fetched(), [200])
  assert.equal(state.resolverCalls, 1)
  assert.equal(state.tokens[0].via, 'the jwt resolver')
  const first = await verifyAda(state.tokens[0].token)
  assert.ok(await page.isVisible('#jwtmint-standin-chat'))
  await shot('live-chat')

  await page.click('#jwtmint-standin-bubble') // close
  assert.ok(await page.isHidden('#jwtmint-standin-chat'))
  await page.waitForTimeout(200)
  assert.equal((await widgetState()).resolverCalls, 1, 'closing does not fetch')

  await page.click('#jwtmint-standin-bubble') // open again
  await page.waitForFunction(() => window.__jwtmintWidget.tokens.length === 2)
  state = await widgetState()
  assert.deepEqual(fetched(), [200, 200])
  assert.equal(state.resolverCalls, 2)
  assert.equal(state.opens, 2)
  const second = await verifyAda(state.tokens[1].token)
  assert.notEqual(state.tokens[1].token, state.tokens[0].token)
  assert.notEqual(second.jti, first.jti, 'each open mints a new token')
  await shot('live-chat-second-open')
  assert.equal(tokenLogLines(200, 'ada') - logged, 2, 'the server minted exactly two tokens for the two opens')
})

test('sign out: the next page load gets 401 and the widget no token', async () => {
  await open('/instant-viewer')
  await page.waitForSelector('#jwt-status[data-kind="ok"]')
  await Promise.all([page.waitForURL(server.base + '/'), page.click('.who button[type="submit"]')])
  assert.ok(await page.isVisible('#sign-in'))
  const fetched = await open('/standard-embed')
  await page.waitForSelector('#jwt-status[data-kind="error"]')
  assert.deepEqual(fetched(), [401])
  assert.deepEqual((await widgetState()).tokens, [])
})

test('no uncaught errors on any page', () => {
  assert.deepEqual(pageErrors, [])
})

test('the server stops cleanly on SIGTERM', async () => {
  await context.close()
  context = null
  server.proc.kill('SIGTERM')
  const timeout = new Promise((resolve) => setTimeout(() => resolve({ code: 'timeout' }), 15000))
  const { code } = await Promise.race([server.exit, timeout])
  assert.equal(code, 0)
  assert.match(server.stdout, /Stopped \(SIGTERM\)/)
  for (const line of server.stdout.split('\n').filter((l) => l.includes(' GET ') || l.includes(' POST '))) {
    assert.doesNotMatch(line, /eyJ|jwtmint_session|ada-demo/, 'no token, cookie or password in the log')
  }
})
