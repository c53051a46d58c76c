// SPDX-License-Identifier: MIT
// Demo-page helper, not part of the vendor's snippet: shows what the page's token fetches got,
// so a person watching the page sees the flow (and a 401 when signed out).
window.jwtmintPage = (function () {
  'use strict'
  let fetches = 0

  function show(text, kind) {
    const el = document.getElementById('jwt-status')
    if (!el) return
    el.textContent = text
    el.dataset.kind = kind
  }

  return {
    /** Called with each response of GET /api/customgpt-jwt. */
    fetched(response) {
      fetches += 1
      const what = 'Fetch #' + fetches + ': GET /api/customgpt-jwt \u2192 ' + response.status + ' '
      if (response.ok) {
        show(what + '(a fresh token, handed to the widget)', 'ok')
      } else if (response.status === 401) {
        show(what + '(not signed in: no token, so the widget stays signed out; sign in first)', 'error')
      } else {
        show(what + '(the backend could not mint a token; see its log)', 'error')
      }
    },
    /** Called when the page's login call fails. */
    failed(err) {
      if (fetches === 0) show('Could not fetch a token: ' + (err && err.message ? err.message : err), 'error')
    },
    get fetches() {
      return fetches
    },
  }
})()
