// SPDX-License-Identifier: MIT
// The vendor's Node.js token snippet (jsonwebtoken, as its JWT login guide shows it) made into a
// server with node's own http module, one process: the baseline that bench/host_load/run.py loads
// side by side with jwtmint-host-backend.
//
// It is a baseline for the token path only. Sign-in is not part of it: sessions come from the
// command line (--session ID=USERNAME) or from POST /login, which trusts the username it is given
// and checks no password. Do not use it as a server.
//
//   node server.mjs --key FILE [--alg RS256|ES256|HS256] [--port N] [--users FILE]
//                   [--session ID=USERNAME ...]
//
// As in the snippet, the key file is read once as text and handed to jwt.sign() for every token,
// with {email, roles} as the payload, the algorithm and expiresIn '10m'. For HS256 the secret is
// the file's text, byte for byte, as jwtmint-host-backend reads its secret file. --users takes
// jwtmint-host-backend's users file for each user's email and roles (passwords are ignored);
// without it a user gets NAME@example.com and the snippet's role. --port 0 picks a free port; the
// line "Listening on http://127.0.0.1:PORT/" says which.
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import process from 'node:process'
import { parseArgs } from 'node:util'

import jwt from 'jsonwebtoken'

const COOKIE = 'jwtmint_session'  // the cookie name jwtmint-host-backend uses, so one header fits both

function fail(message) {
  process.stderr.write(`node-backend: ${message}\n`)
  process.exit(2)
}

let options
try {
  ({ values: options } = parseArgs({
    options: {
      port: { type: 'string', default: '8081' },
      key: { type: 'string' },
      alg: { type: 'string', default: 'RS256' },
      users: { type: 'string' },
      session: { type: 'string', multiple: true, default: [] },
    },
  }))
} catch (err) {
  fail(err.message)
}

const algorithm = options.alg.toUpperCase()
if (!['RS256', 'ES256', 'HS256'].includes(algorithm)) fail(`--alg is RS256, ES256 or HS256, not '${options.alg}'`)
if (!options.key) fail('--key FILE is required (a PEM private key, or the HS256 secret file)')
const port = Number(options.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port is 0..65535, not '${options.port}'`)

// Read once, as text, as the snippet does.
const privateKey = fs.readFileSync(options.key, 'utf8')

const users = new Map()
if (options.users) {
  for (const u of JSON.parse(fs.readFileSync(options.users, 'utf8')).users ?? []) {
    users.set(u.username, { email: u.email ?? `${u.username}@example.com`, roles: u.roles ?? [] })
  }
}
function claimsOf(username) {
  return users.get(username) ?? { email: `${username}@example.com`, roles: ['Accounting Team'] }
}

const sessions = new Map()  // session id -> username
for (const s of options.session) {
  const eq = s.indexOf('=')
  if (eq <= 0) fail(`--session is ID=USERNAME, not '${s}'`)
  sessions.set(s.slice(0, eq), s.slice(eq + 1))
}

function sessionOf(req) {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === COOKIE) return sessions.get(part.slice(eq + 1).trim())
  }
  return undefined
}

function reply(res, status, body, headers = {}) {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  })
  res.end(body)
}

const server = http.createServer((req, res) => {
  const path = req.url.split('?')[0]
  if (req.method === 'GET' && path === '/api/customgpt-jwt') {
    const username = sessionOf(req)
    if (username === undefined) return reply(res, 401, '401 not signed in\n')
    const { email, roles } = claimsOf(username)
    const token = jwt.sign({ email, roles }, privateKey, { algorithm, expiresIn: '10m' })
    return reply(res, 200, token)
  }
  if (req.method === 'POST' && path === '/login') {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk) => {
      body += chunk
      if (body.length > 4096) req.destroy()
    })
    req.on('end', () => {
      const username = new URLSearchParams(body).get('username')
      if (!username) return reply(res, 400, '400 username missing\n')
      const id = crypto.randomBytes(32).toString('hex')
      sessions.set(id, username)
      reply(res, 303, '', { Location: '/', 'Set-Cookie': `${COOKIE}=${id}; HttpOnly; SameSite=Lax; Path=/` })
    })
    return undefined
  }
  return reply(res, 404, '404 not found\n')
})

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`Listening on http://127.0.0.1:${server.address().port}/\n`)
})
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close(() => process.exit(0))
    server.closeAllConnections()
  })
}
