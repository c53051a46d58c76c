// SPDX-License-Identifier: MIT
// The npm side of the interoperability suite: jose or jsonwebtoken verifies and mints tokens for
// interop_test.py. One process runs a whole batch of jobs:
//
//   node peer.mjs jose|jsonwebtoken JOBS.json       prints one JSON array of results
//
// A job is {"op": "verify", "alg", "key": FILE, "token"} or {"op": "mint", "alg", "key": FILE,
// "claims": {...}}. For verify, FILE is the public key PEM (HS256: the secret file, exact bytes);
// for mint, the private key PEM (PKCS#8) or the secret file. A result is {"ok": true, "payload"}
// for verify, {"ok": true, "token"} for mint, or {"ok": false, "error"}.
//
// jsonwebtoken mints with the options of the vendor's Node example: { algorithm, expiresIn: '10m' }.
// jose mints with setIssuedAt() and setExpirationTime('10m'). Both verify with the algorithm pinned.
//
// Exits 77 (ctest's "skipped") when the package is not installed (npm ci --prefix tests/interop).
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const SKIP = 77
const here = path.dirname(fileURLToPath(import.meta.url))
const [lib, jobsFile] = process.argv.slice(2)
if (!['jose', 'jsonwebtoken'].includes(lib) || !jobsFile) {
  console.error('usage: node peer.mjs jose|jsonwebtoken JOBS.json')
  process.exit(64)
}

let mod
try {
  mod = await import(lib)
} catch (err) {
  console.error(`${lib} is not installed (run: npm ci --prefix ${here} --no-audit --no-fund): ${err.message}`)
  process.exit(SKIP)
}

const isHmac = (alg) => alg.startsWith('HS')

async function joseJob(job) {
  const jose = mod
  const bytes = fs.readFileSync(job.key)
  if (job.op === 'verify') {
    const key = isHmac(job.alg) ? new Uint8Array(bytes) : await jose.importSPKI(bytes.toString('utf8'), job.alg)
    const { payload, protectedHeader } = await jose.jwtVerify(job.token, key, { algorithms: [job.alg] })
    return { ok: true, payload, header: protectedHeader }
  }
  const key = isHmac(job.alg) ? new Uint8Array(bytes) : await jose.importPKCS8(bytes.toString('utf8'), job.alg)
  const token = await new jose.SignJWT(job.claims)
    .setProtectedHeader({ alg: job.alg, typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(key)
  return { ok: true, token }
}

function jsonwebtokenJob(job) {
  const jwt = mod.default ?? mod
  const bytes = fs.readFileSync(job.key)
  const key = isHmac(job.alg) ? bytes : bytes.toString('utf8')
  if (job.op === 'verify') {
    const decoded = jwt.verify(job.token, key, { algorithms: [job.alg], complete: true })
    return { ok: true, payload: decoded.payload, header: decoded.header }
  }
  // The vendor reference's Node example, with the algorithm under test.
  const token = jwt.sign(job.claims, key, { algorithm: job.alg, expiresIn: '10m' })
  return { ok: true, token }
}

const jobs = JSON.parse(fs.readFileSync(jobsFile, 'utf8'))
const results = []
for (const job of jobs) {
  try {
    results.push(lib === 'jose' ? await joseJob(job) : jsonwebtokenJob(job))
  } catch (err) {
    results.push({ ok: false, error: `${err.name}: ${err.message}` })
  }
}
process.stdout.write(JSON.stringify(results) + '\n')
