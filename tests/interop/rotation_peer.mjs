// SPDX-License-Identifier: MIT
// jose's side of rotation_test.py: verifies tokens against JWK Sets the way a relying party that
// fetches a set does (createLocalJWKSet: the key chosen by the token's kid, the algorithm pinned).
//
//   node rotation_peer.mjs JOBS.json      prints one JSON array of results
//
// A job is {"token", "jwks": FILE, "alg"}; a result is {"ok": true, "kid"} or {"ok": false,
// "code"} (jose's error code, e.g. ERR_JWKS_NO_MATCHING_KEY, ERR_JWS_SIGNATURE_VERIFICATION_FAILED).
// Exits 77 (ctest's "skipped") when jose is not installed (npm ci --prefix tests/interop).
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
let jose
try {
  jose = await import('jose')
} catch (err) {
  console.error(`jose is not installed (run: npm ci --prefix ${here} --no-audit --no-fund): ${err.message}`)
  process.exit(77)
}

const jobs = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))
const results = []
for (const job of jobs) {
  const set = jose.createLocalJWKSet(JSON.parse(fs.readFileSync(job.jwks, 'utf8')))
  try {
    const { protectedHeader } = await jose.jwtVerify(job.token, set, { algorithms: [job.alg] })
    results.push({ ok: true, kid: protectedHeader.kid })
  } catch (err) {
    results.push({ ok: false, code: err.code || String(err) })
  }
}
console.log(JSON.stringify(results))
