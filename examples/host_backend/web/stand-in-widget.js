// SPDX-License-Identifier: MIT
// A STAND-IN for the vendor's widget scripts (embed.js, chat.js, the AI Assistant and the Instant
// Viewer), served by jwtmint's example host backend because the vendor's scripts are not
// reachable where the examples are tested. It is not the vendor's code. It offers the calls the
// vendor documents for handing over a JWT:
//
//   window.CustomGPTEmbed.setJwtToken(token)            standard embed
//   CustomGPT.init({p_id, p_key, jwt: resolver})        Live Chat (also CustomGPT.setJwtToken,
//   window.CustomGPTChat.setJwtToken(resolver)           CustomGPTChat.setJwtToken)
//   window.CustomGPTAiAssistant.setJwtToken(token)      AI Assistant
//   window.CustomGPTInstantViewer.setJwtToken(token)    Instant Viewer
//
// records what it was given in window.__jwtmintWidget (tokens, errors, resolverCalls, opens) and
// shows the decoded header and claims. It never checks the signature: the vendor does that with
// the public key pasted into its settings.
(function () {
  'use strict'
  if (window.__jwtmintWidget) return // loaded twice on one page: keep the first

  const state = (window.__jwtmintWidget = {
    tokens: [], // {widget, via, token, header, claims, receivedAt}
    errors: [], // {widget, message}
    resolverCalls: 0, // Live Chat: times the page's resolver was called
    opens: 0, // Live Chat: times the bubble was opened
  })

  const script = document.currentScript
  const attr = (name) => (script && script.getAttribute(name)) || ''
  const embedAttrs = { divId: attr('div_id'), projectId: attr('p_id') }

  const css = `
.jwtmint-standin{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2433;background:#fff;
  border:2px dashed #c2410c;border-radius:12px;padding:14px 16px;margin:16px 0;box-shadow:0 2px 10px rgba(0,0,0,.06)}
.jwtmint-standin__badge{display:inline-block;background:#c2410c;color:#fff;font-size:12px;font-weight:600;
  letter-spacing:.02em;border-radius:999px;padding:2px 10px;margin-bottom:8px}
.jwtmint-standin__title{font-weight:600;font-size:15px;margin:0 0 6px}
.jwtmint-standin__status{margin:0 0 8px;color:#475069}
.jwtmint-standin__status[data-kind=ok]{color:#166534}
.jwtmint-standin__status[data-kind=error]{color:#b91c1c}
.jwtmint-standin h4{margin:10px 0 4px;font-size:13px;color:#475069;text-transform:uppercase;letter-spacing:.04em}
.jwtmint-standin pre{margin:0;background:#f5f6fa;border-radius:8px;padding:8px 10px;overflow:auto;
  font:12.5px/1.45 ui-monospace,"DejaVu Sans Mono",monospace;white-space:pre-wrap;word-break:break-all}
.jwtmint-standin__note{font-size:12px;color:#6b7280;margin:8px 0 0}
.jwtmint-standin__bubble{position:fixed;right:24px;bottom:24px;width:68px;height:68px;border-radius:50%;
  border:0;padding:0;background:#c2410c;color:#fff;font:600 14px system-ui,sans-serif;cursor:pointer;
  box-shadow:0 6px 18px rgba(0,0,0,.25);z-index:2147483000}
.jwtmint-standin__bubble[aria-expanded=true]{background:#7c2d12}
.jwtmint-standin--floating{position:fixed;right:24px;bottom:104px;width:min(440px,calc(100vw - 48px));
  max-height:calc(100vh - 130px);overflow:auto;margin:0;z-index:2147483000}
`

  function injectStyle() {
    if (document.getElementById('jwtmint-standin-style')) return
    const style = document.createElement('style')
    style.id = 'jwtmint-standin-style'
    style.textContent = css
    document.head.appendChild(style)
  }

  function el(tag, className, text) {
    const e = document.createElement(tag)
    if (className) e.className = className
    if (text !== undefined) e.textContent = text
    return e
  }

  // base64url (RFC 4648 section 5, unpadded) to a JSON value, as a widget would read a JWT.
  function decodeSegment(segment) {
    if (!/^[A-Za-z0-9_-]+$/.test(segment)) throw new Error('a token part is not base64url')
    const b64 = segment.replace(/-/g, '+').replace(/_/g, '/')
    const binary = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4))
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0))
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  }

  function decodeJwt(token) {
    if (typeof token !== 'string') throw new Error('expected the token as a string, got ' + typeof token)
    const parts = token.split('.')
    if (parts.length !== 3) throw new Error('expected a compact JWT (three parts), got ' + parts.length + ' part(s)')
    return { header: decodeSegment(parts[0]), claims: decodeSegment(parts[1]) }
  }

  function time(seconds) {
    return typeof seconds === 'number' ? new Date(seconds * 1000).toLocaleTimeString() : '(none)'
  }

  function makePanel(floating) {
    injectStyle()
    const panel = el('section', 'jwtmint-standin' + (floating ? ' jwtmint-standin--floating' : ''))
    panel.setAttribute('aria-label', "Stand-in widget, not the vendor's")
    panel.appendChild(el('div', 'jwtmint-standin__badge', "Stand-in widget \u00b7 not the vendor's"))
    panel.appendChild(el('p', 'jwtmint-standin__title', 'Waiting for a token'))
    const status = el('p', 'jwtmint-standin__status', 'The page has not called setJwtToken yet.')
    status.dataset.kind = 'wait'
    panel.appendChild(status)
    panel.appendChild(el('div', 'jwtmint-standin__body'))
    panel.appendChild(
      el('p', 'jwtmint-standin__note',
        "Decoded here for you to read; the signature is not checked here (the vendor checks it with the public key in its settings)."))
    return panel
  }

  let inlinePanel = null
  function pagePanel() {
    if (inlinePanel) return inlinePanel
    inlinePanel = makePanel(false)
    const host = embedAttrs.divId && document.getElementById(embedAttrs.divId)
    if (host) host.appendChild(inlinePanel)
    else document.body.appendChild(inlinePanel)
    return inlinePanel
  }

  function setStatus(panel, text, kind) {
    const status = panel.querySelector('.jwtmint-standin__status')
    status.textContent = text
    status.dataset.kind = kind
  }

  function record(panel, widget, via, token) {
    let decoded
    try {
      decoded = decodeJwt(token)
    } catch (err) {
      recordError(panel, widget, err)
      return
    }
    const entry = { widget, via, token, header: decoded.header, claims: decoded.claims, receivedAt: Date.now() }
    state.tokens.push(entry)
    const c = decoded.claims
    const identity = ['email', 'upn', 'preferred_username'].find((k) => typeof c[k] === 'string' && c[k] !== '')
    panel.querySelector('.jwtmint-standin__title').textContent =
      widget + (embedAttrs.projectId || chat.projectId ? ' \u00b7 p_id ' + (chat.projectId || embedAttrs.projectId) : '')
    setStatus(panel,
      'Token #' + state.tokens.length + ' received via ' + via + ' at ' + new Date(entry.receivedAt).toLocaleTimeString() +
        '; issued ' + time(c.iat) + ', expires ' + time(c.exp) +
        (identity ? '; session email: ' + c[identity] + ' (' + identity + ')' : '; no identity claim'),
      'ok')
    const body = panel.querySelector('.jwtmint-standin__body')
    body.replaceChildren(
      el('h4', '', 'Header'), el('pre', 'jwtmint-standin__header', JSON.stringify(decoded.header, null, 2)),
      el('h4', '', 'Claims'), el('pre', 'jwtmint-standin__claims', JSON.stringify(c, null, 2)))
  }

  function recordError(panel, widget, err) {
    const message = err && err.message ? err.message : String(err)
    state.errors.push({ widget, message })
    panel.querySelector('.jwtmint-standin__title').textContent = widget + ': signed out'
    setStatus(panel, 'No token: ' + message, 'error')
    panel.querySelector('.jwtmint-standin__body').replaceChildren()
  }

  // Widgets that build their iframe on page load take the token string.
  function stringTaker(widget) {
    return {
      setJwtToken(token) {
        const panel = pagePanel()
        if (typeof token !== 'string') {
          recordError(panel, widget, new Error(widget + '.setJwtToken takes the token string, not a ' + typeof token))
          return
        }
        record(panel, widget, widget + '.setJwtToken', token)
      },
    }
  }
  window.CustomGPTEmbed = stringTaker('CustomGPTEmbed')
  window.CustomGPTAiAssistant = stringTaker('CustomGPTAiAssistant')
  window.CustomGPTInstantViewer = stringTaker('CustomGPTInstantViewer')

  // Live Chat: a bubble; each time it opens, the widget asks the page's resolver for a token.
  const chat = { resolver: null, projectId: '', bubble: null, panel: null }

  function setResolver(resolver) {
    chat.resolver = resolver
  }

  async function openChat() {
    chat.panel.hidden = false
    chat.bubble.setAttribute('aria-expanded', 'true')
    chat.bubble.textContent = 'Close'
    state.opens += 1
    const widget = 'CustomGPT (Live Chat)'
    setStatus(chat.panel, 'Chat opened: asking the page for a token\u2026', 'wait')
    try {
      let token = chat.resolver
      if (typeof token === 'function') {
        state.resolverCalls += 1
        token = await token()
      }
      if (token === null || token === undefined) throw new Error('no jwt resolver or token was given to CustomGPT.init')
      record(chat.panel, widget, typeof chat.resolver === 'function' ? 'the jwt resolver' : 'a token string', token)
    } catch (err) {
      recordError(chat.panel, widget, err)
    }
  }

  function closeChat() {
    chat.panel.hidden = true
    chat.bubble.setAttribute('aria-expanded', 'false')
    chat.bubble.textContent = 'Chat'
  }

  window.CustomGPT = {
    init(options) {
      const opts = options || {}
      chat.projectId = opts.p_id ? String(opts.p_id) : ''
      if ('jwt' in opts) setResolver(opts.jwt)
      if (chat.bubble) return
      injectStyle()
      chat.panel = makePanel(true)
      chat.panel.id = 'jwtmint-standin-chat'
      chat.panel.hidden = true
      chat.bubble = el('button', 'jwtmint-standin__bubble', 'Chat')
      chat.bubble.type = 'button'
      chat.bubble.id = 'jwtmint-standin-bubble'
      chat.bubble.setAttribute('aria-expanded', 'false')
      chat.bubble.setAttribute('aria-controls', chat.panel.id)
      chat.bubble.title = "Open the chat (stand-in widget, not the vendor's)"
      chat.bubble.addEventListener('click', () => (chat.panel.hidden ? openChat() : closeChat()))
      document.body.appendChild(chat.panel)
      document.body.appendChild(chat.bubble)
    },
    setJwtToken: setResolver,
  }
  window.CustomGPTChat = { setJwtToken: setResolver }

  // Pages whose script tag names a div (standard embed, AI Assistant, Instant Viewer) show the
  // widget there at once, as the real ones build their iframe on load.
  if (embedAttrs.divId) {
    const show = () => pagePanel()
    document.readyState === 'loading' ? document.addEventListener('DOMContentLoaded', show) : show()
  }
})()
