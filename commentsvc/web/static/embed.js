/*! commentsvc widget — vanilla JS, no build step.
 *
 * Embed:  <script src="https://HOST/embed.js" data-site="default" async></script>
 *         <div data-commentsvc-thread="KEY" data-commentsvc-title="…" data-commentsvc-url="…"></div>
 * Badges: <a data-commentsvc-count="KEY">…</a>   (one batched /counts request per page)
 * Options on the script tag: data-site (default "default"), data-limit (top-level comments
 *         per page, 1..100, default 30), data-theme (light|dark), data-lang (a language tag).
 * Language: data-lang, else the page's <html lang>, else the site's default, else English.
 *         Messages load on demand: /i18n/SITE/TAG.json names the file (lang, dir, url), a
 *         small JSON under its content hash (immutable), fetched once. Plurals and times come
 *         from Intl; under an RTL language the widget sets dir="rtl" and mirrors its layout.
 * Inline feedback: a [data-commentsvc-article] container (selection → "Comment on this"), and
 *         elements with data-commentsvc-feedback="ID" data-question="…" (a speech bubble). A
 *         question's count is the number of approved feedbacks whose anchor.block is its ID;
 *         selections made inside that element carry the same block, so they count too.
 * Theme:  light/dark follow prefers-color-scheme; data-commentsvc-theme="light|dark" on the
 *         container or any ancestor (or data-theme on the script tag) overrides. Colours are
 *         CSS custom properties: --csvc-bg, --csvc-fg, --csvc-muted, --csvc-border,
 *         --csvc-surface, --csvc-accent, --csvc-on-accent (and each with a -dark suffix),
 *         --csvc-font, --csvc-radius.
 * Safety: user text goes in with textContent; only the server-sanitized body_html uses
 *         innerHTML. Styles are constructable stylesheets (no style attributes), so a page
 *         with a strict Content-Security-Policy only needs script-src and connect-src to
 *         allow this script's origin.
 */
(function () {
  'use strict';
  if (window.commentsvc) return;

  function findScript() {
    var all = document.querySelectorAll('script[src]');
    for (var i = all.length - 1; i >= 0; i--) {
      if (/\/embed(\.[0-9a-f]+)?\.js([?#]|$)/.test(all[i].src)) return all[i];
    }
    return null;
  }

  const script = document.currentScript || findScript();
  if (!script) return;
  const ORIGIN = new URL(script.src, location.href).origin;
  const API = ORIGIN + '/api/v1';
  const SITE = script.getAttribute('data-site') || 'default';
  const PAGE = Math.min(100, Math.max(1, parseInt(script.getAttribute('data-limit'), 10) || 30));
  const MAX_DEPTH = 5; // levels shown nested; deeper replies are flattened into the fifth
  const KEEP_MS = 7 * 86400e3; // how long the browser remembers its own comments
  const NS = 'commentsvc:';
  const enc = encodeURIComponent;
  let theme = script.getAttribute('data-theme') || '';

  const STYLE = `
:host{all:initial;display:block}
:host([hidden]),[hidden]{display:none!important}
:host(.commentsvc-bubble){display:inline-block;vertical-align:middle;margin-inline-start:.35em}
:host(.commentsvc-pop){position:absolute;z-index:2147483000}
.w{--bg:var(--csvc-bg,#fff);--fg:var(--csvc-fg,#1d1f23);--muted:var(--csvc-muted,#525866);--line:var(--csvc-border,#c9cdd4);--soft:var(--csvc-surface,#f2f3f5);--accent:var(--csvc-accent,#0b57a4);--on:var(--csvc-on-accent,#fff);--warn:#6b4200;--warnbg:#fff1cc;--err:#a3161b;--r:var(--csvc-radius,8px);font:var(--csvc-font,15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif);color:var(--fg);background:var(--bg);color-scheme:light}
.w.dark{--bg:var(--csvc-bg-dark,#1b1e23);--fg:var(--csvc-fg-dark,#e8e9ec);--muted:var(--csvc-muted-dark,#adb3be);--line:var(--csvc-border-dark,#4a505b);--soft:var(--csvc-surface-dark,#272b32);--accent:var(--csvc-accent-dark,#8cc2ff);--on:var(--csvc-on-accent-dark,#0b1a2b);--warn:#ffd58a;--warnbg:#3a2e12;--err:#ffaaa5;color-scheme:dark}
section.w{padding:.5rem 0}
h2{font-size:1.3em;margin:.2em 0 .6em;line-height:1.2}
h2:focus{outline:none}
button,input,textarea,select{font:inherit;color:inherit}
button{background:var(--bg);border:1px solid var(--line);border-radius:var(--r);padding:.25em .75em;cursor:pointer;line-height:1.4}
button:hover{border-color:var(--accent)}
button[disabled],button[aria-disabled=true]{opacity:.6;cursor:default}
button.primary{background:var(--accent);border-color:var(--accent);color:var(--on);font-weight:600}
button[aria-pressed=true]{background:var(--soft);border-color:var(--accent);font-weight:600}
button.link{border:0;background:none;padding:.1em .3em;color:var(--accent);text-decoration:underline}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
a{color:var(--accent)}
input,textarea,select{display:block;width:100%;box-sizing:border-box;background:var(--bg);border:1px solid var(--line);border-radius:var(--r);padding:.45em .6em}
textarea{min-height:5.5em;resize:vertical}
[aria-invalid=true]{border-color:var(--err)}
label{display:block;font-weight:600;font-size:.92em;margin:.1em 0 .2em}
form{background:var(--soft);border:1px solid var(--line);border-radius:var(--r);padding:.8rem;margin:.6rem 0}
.row{display:grid;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr));gap:.6rem;margin-top:.6rem}
.sub{display:flex;gap:.5rem;align-items:center;flex-wrap:wrap;margin-top:.7rem}
.hint,.muted,time{color:var(--muted);font-size:.88em}
.ferr{color:var(--err);font-size:.88em;display:block}
.alert{color:var(--err);margin:.4rem 0 0}
.alert:empty,.ferr:empty,.status:empty,.msg:empty{display:none}
.hp,.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.bar{display:flex;flex-wrap:wrap;justify-content:space-between;gap:.5rem;border-bottom:1px solid var(--line);padding:.4rem 0;margin:.6rem 0}
.bar>div{display:flex;gap:.35rem;flex-wrap:wrap;align-items:center}
.status,.msg{margin:.5rem 0;padding:.45rem .7rem;border-radius:var(--r);background:var(--soft)}
.new{display:block;width:100%;margin:.4rem 0;background:var(--accent);color:var(--on);border-color:var(--accent);font-weight:600}
ol{list-style:none;margin:0;padding:0}
.replies{margin-inline-start:1.1rem;padding-inline-start:.9rem;border-inline-start:2px solid var(--line)}
.c{margin:.9rem 0}
.ch{display:flex;flex-wrap:wrap;align-items:center;gap:.2rem .5rem}
.av{display:inline-flex;width:2rem;height:2rem;border-radius:50%;align-items:center;justify-content:center;font-weight:700;font-size:.8em;color:#fff;background:hsl(var(--hue,210) 45% 32%)}
.name{font-weight:700;overflow-wrap:anywhere;min-width:0}
.body{margin:.25rem 0 .35rem;overflow-wrap:anywhere}
.body p{margin:.35em 0}
.body pre,.body code{font-family:ui-monospace,monospace;font-size:.92em;background:var(--soft)}
.body blockquote{margin:.4em 0;padding-inline-start:.8em;border-inline-start:3px solid var(--line)}
.gone{font-style:italic;color:var(--muted);margin:.3rem 0}
.on{overflow-wrap:anywhere;margin:.3rem 0;padding:.3rem .6rem;border-inline-start:3px solid var(--accent);background:var(--soft);border-start-end-radius:var(--r);border-end-end-radius:var(--r)}
.quote{font-style:italic}
.q{overflow-wrap:anywhere}
.acts{display:flex;flex-wrap:wrap;gap:.3rem;align-items:center}
.acts button{font-size:.88em;padding:.1em .6em}
.pending>article{border:1px dashed var(--line);border-radius:var(--r);padding:.5rem .7rem}
.badge{display:inline-block;background:var(--warnbg);color:var(--warn);border-radius:999px;padding:0 .6em;font-size:.85em;font-weight:600}
.why{margin:.3rem 0;padding-inline-start:1.2rem;color:var(--muted);font-size:.9em}
.slot:empty{display:none}
.more{margin:1rem 0}
.mine{margin:1rem 0;font-size:.92em}summary{cursor:pointer;color:var(--accent)}
.bub{font-size:.85em;padding:.05em .55em;border-radius:999px;background:var(--soft);font-style:normal}
.bub svg{vertical-align:-2px;margin-inline-end:.3em}
.box{display:block;margin-top:.4rem;width:min(24rem,85vw)}
.pop{display:inline-block;box-shadow:0 6px 24px rgba(0,0,0,.25);border-radius:var(--r)}
.pop form{margin:0;width:min(24rem,88vw);box-sizing:border-box}
.q{margin:0 0 .4rem;font-style:italic;max-height:4.5em;overflow:hidden}
.staff{background:var(--accent);color:var(--on)}
.feat{border:1px solid var(--line);border-radius:var(--r);padding:.2rem .8rem;margin:.6rem 0;background:var(--soft)}
.feat h3{font-size:1.05em;margin:.4em 0}
.feat .body{margin:.2rem 0}
.c.featured>article{border-inline-start:3px solid var(--accent);padding-inline-start:.6rem}
:host(.commentsvc-corrected){display:inline-block;margin-inline-start:.3em}
button.cor{font-size:.8em;padding:0 .55em;border-radius:999px;border-color:var(--accent);background:var(--soft);color:var(--accent)}
.cnote{font-size:.85em;margin-inline-start:.4em}
`;
  const PAGE_CSS = '::highlight(commentsvc){background-color:#ffe066;color:#1d1f23}' +
    'mark.commentsvc-mark{background:#ffe066;color:#1d1f23}';

  // ----- messages: one small file per language, loaded once --------------------------

  let M = {}, LANG = 'en', DIR = 'ltr', pr, nf, rtf;
  function t(key, p) {
    p = p || {};
    let m = M[key];
    if (m == null) return key;
    if (typeof m === 'object') m = m[pr.select(p.count)] || m.other;
    return m.replace(/\{([a-z_]+)\}/g, (_, k) => (k === 'count' ? nf.format(p.count) : String(p[k])));
  }
  const has = (key) => M[key] != null;
  async function messages() {
    // Languages are shipped per base tag (pt-BR → pt), so only that is asked for.
    const tag = /^[A-Za-z]{2,8}(?![A-Za-z])/.exec(script.getAttribute('data-lang') || document.documentElement.lang || '');
    const want = tag ? tag[0].toLowerCase() : 'auto';
    try {
      const get = async (path) => {
        const res = await fetch(ORIGIN + path, { credentials: 'omit' });
        if (!res.ok) throw new Error(res.status);
        return res.json();
      };
      const file = await get('/i18n/' + enc(SITE) + '/' + enc(want) + '.json');
      const data = await get(file.url);
      M = data.messages || {};
      LANG = data.lang || 'en';
      DIR = data.dir === 'rtl' ? 'rtl' : 'ltr';
    } catch (e) { /* the server is unreachable: the API calls will say so */ }
    pr = new Intl.PluralRules(LANG);
    nf = new Intl.NumberFormat(LANG);
    rtf = Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(LANG, { numeric: 'auto' }) : null;
  }

  // ----- small helpers -------------------------------------------------------------

  const store = {
    get(k, d) {
      try { const v = localStorage.getItem(NS + k); return v == null ? d : JSON.parse(v); } catch (e) { return d; }
    },
    set(k, v) { try { localStorage.setItem(NS + k, JSON.stringify(v)); } catch (e) { /* private mode */ } },
  };
  function randomId() {
    const a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return Array.from(a, (b) => b.toString(16).padStart(2, '0')).join('');
  }
  function clientId(kind) {
    let v = store.get(kind);
    if (!v) { v = randomId(); store.set(kind, v); }
    return v;
  }
  // The browser's own comments: {id: {t: edit token, u: edit until (ms), s: site, k: thread, at}}
  function mine() {
    const m = store.get('mine', {}), now = Date.now();
    for (const id in m) if (!(now - m[id].at < KEEP_MS)) delete m[id];
    return m;
  }
  function remember(id, entry) {
    const m = mine();
    if (entry) m[id] = entry; else delete m[id];
    store.set('mine', m);
  }
  let serial = 0;
  const uid = (p) => 'csvc-' + p + ++serial;

  // Build an element. Text always goes in as text nodes; there is no way to pass HTML.
  function h(tag, props, ...kids) {
    const el = document.createElement(tag);
    for (const k in props || {}) {
      const v = props[k];
      if (v == null || v === false) continue;
      if (k === 'text') el.textContent = v;
      else if (k === 'class') el.className = v;
      else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const kid of kids.flat()) if (kid != null && kid !== false) el.append(kid);
    return el;
  }

  async function api(method, path, opts) {
    opts = opts || {};
    const url = new URL(API + path);
    for (const [k, v] of opts.query || []) url.searchParams.append(k, v);
    const headers = {};
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    if (opts.token) headers.Authorization = 'Bearer ' + opts.token;
    let res;
    try {
      res = await fetch(url, {
        method, headers, cache: 'no-cache', credentials: 'omit',
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      });
    } catch (e) {
      return { ok: false, status: 0, data: {} };
    }
    let data = {};
    if (res.status !== 204) { try { data = (await res.json()) || {}; } catch (e) { data = {}; } }
    return { ok: res.ok, status: res.status, data };
  }

  // The server's problem details are English: other languages get the catalogue's words.
  function problemText(r) {
    if (!r.status) return t('w.err.network');
    if (r.status === 429) return t('w.err.429');
    if (LANG === 'en' && r.data && r.data.detail) return r.data.detail;
    return has('w.err.' + r.status) ? t('w.err.' + r.status) : t('w.err.other', { status: r.status });
  }
  const fieldText = (fe) => (LANG === 'en' && fe.message) || t('w.err.field');
  const quoted = (q) => t('w.quote', { quote: q });
  // "in reply to {name}" with the name isolated (a Hebrew name in a German sentence stays readable).
  function inReplyTo(name) {
    const [a, b] = t('w.in_reply_to', { name: '\u0000' }).split('\u0000');
    return [a, h('bdi', { text: name }), b || ''];
  }

  function timeEl(iso) {
    const d = new Date(iso);
    let text = d.toLocaleString(LANG);
    const s = (d.getTime() - Date.now()) / 1000;
    if (rtf && Math.abs(s) < 30 * 86400) {
      const [n, u] = Math.abs(s) < 60 ? [s, 'second'] : Math.abs(s) < 3600 ? [s / 60, 'minute']
        : Math.abs(s) < 86400 ? [s / 3600, 'hour'] : [s / 86400, 'day'];
      text = rtf.format(Math.round(n), u);
    }
    return h('time', { datetime: iso, title: d.toLocaleString(LANG), text });
  }

  // ----- styles and theme ---------------------------------------------------------

  let sheet = null;
  function adopt(root) {
    // Constructable stylesheets: no <style> and no style attributes, so a strict CSP is fine.
    try {
      if (!sheet) { sheet = new CSSStyleSheet(); sheet.replaceSync(STYLE); }
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      root.append(h('style', { text: STYLE }));
    }
  }
  let pageStyled = false;
  function stylePage() {
    if (pageStyled) return;
    pageStyled = true;
    try {
      const s = new CSSStyleSheet();
      s.replaceSync(PAGE_CSS);
      document.adoptedStyleSheets = [...document.adoptedStyleSheets, s];
    } catch (e) {
      document.head.append(h('style', { text: PAGE_CSS }));
    }
  }
  const dark = window.matchMedia ? matchMedia('(prefers-color-scheme: dark)') : null;
  const themed = [];
  function applyTheme(wrap, host) {
    const holder = host.closest('[data-commentsvc-theme]');
    const t = (holder && holder.getAttribute('data-commentsvc-theme')) || theme;
    wrap.classList.toggle('dark', t === 'dark' || (t !== 'light' && !!dark && dark.matches));
  }
  function themeAll() { for (const [w, host] of themed) applyTheme(w, host); }
  function shadow(host, ...kids) {
    const root = host.attachShadow({ mode: 'open' });
    adopt(root);
    const wrap = kids.length === 1 && kids[0].classList.contains('w') ? kids[0] : h('div', { class: 'w' }, kids);
    wrap.setAttribute('lang', LANG);
    wrap.setAttribute('dir', DIR);
    root.append(wrap);
    themed.push([wrap, host]);
    applyTheme(wrap, host);
    return wrap;
  }
  if (dark && dark.addEventListener) dark.addEventListener('change', themeAll);
  new MutationObserver(themeAll).observe(document.documentElement, {
    subtree: true, attributes: true, attributeFilter: ['data-commentsvc-theme'],
  });

  // ----- the article: passages, highlight -------------------------------------------

  const article = () => document.querySelector('[data-commentsvc-article]');
  const squash = (s) => s.replace(/\s+/g, ' ');

  // The text of `scope` with whitespace runs collapsed, and where each character came from.
  function indexText(scope) {
    const walker = document.createTreeWalker(scope, NodeFilter.SHOW_TEXT);
    let text = '';
    const map = [];
    while (walker.nextNode()) {
      const n = walker.currentNode;
      for (let o = 0; o < n.data.length; o++) {
        const space = /\s/.test(n.data[o]);
        if (space && text.endsWith(' ')) continue;
        text += space ? ' ' : n.data[o];
        map.push([n, o]);
      }
    }
    return { text, map };
  }

  function blockOf(node, root) {
    let el = node.nodeType === 1 ? node : node.parentElement;
    el = el && el.closest('[data-commentsvc-feedback],[id]');
    return el && root.contains(el) && el !== root ? el : null;
  }
  const blockId = (el) => (el ? el.getAttribute('data-commentsvc-feedback') || el.id : '');

  // {quote, prefix, suffix, block} for a selected range inside the article.
  function anchorOf(range, root) {
    const quote = squash(range.toString()).trim();
    if (!quote) return null;
    const blockEl = blockOf(range.startContainer, root);
    const scope = blockEl || root;
    const before = document.createRange();
    before.selectNodeContents(scope);
    before.setEnd(range.startContainer, range.startOffset);
    const { text } = indexText(scope);
    let at = text.indexOf(quote, Math.max(0, squash(before.toString()).length - 2));
    if (at < 0) at = text.indexOf(quote);
    const q = quote.slice(0, 1000);
    return {
      quote: q,
      prefix: at < 0 ? '' : text.slice(Math.max(0, at - 32), at),
      suffix: at < 0 ? '' : text.slice(at + q.length, at + q.length + 32),
      block: blockId(blockEl).slice(0, 200),
    };
  }

  function findPassage(a) {
    const root = article() || document.body;
    let scope = null;
    if (a.block) {
      scope = root.querySelector('[data-commentsvc-feedback="' + CSS.escape(a.block) + '"]') ||
        document.getElementById(a.block);
    }
    const quote = squash(a.quote || '').trim();
    for (const s of scope ? [scope, root] : [root]) {
      if (!quote) break;
      const { text, map } = indexText(s);
      const pre = squash(a.prefix || ''), suf = squash(a.suffix || '');
      let at = text.indexOf(pre + quote + suf);
      if (at < 0) at = text.indexOf(pre + quote);
      at = at < 0 ? text.indexOf(quote) : at + pre.length;
      if (at < 0) continue;
      const range = document.createRange();
      const start = map[at], end = map[at + quote.length - 1];
      range.setStart(start[0], start[1]);
      range.setEnd(end[0], end[1] + 1);
      return range;
    }
    if (!scope) return null;
    const range = document.createRange();
    range.selectNodeContents(scope); // a question: the whole element
    return range;
  }

  function showPassage(a) {
    const range = findPassage(a);
    if (!range) return false;
    stylePage();
    if (window.Highlight && CSS.highlights) {
      CSS.highlights.set('commentsvc', new Highlight(range));
    } else {
      document.querySelectorAll('mark.commentsvc-mark').forEach((m) => m.replaceWith(...m.childNodes));
      try { range.surroundContents(h('mark', { class: 'commentsvc-mark' })); } catch (e) { /* spans elements */ }
    }
    let el = range.startContainer;
    el = el.nodeType === 1 ? el : el.parentElement;
    const reduce = window.matchMedia && matchMedia('(prefers-reduced-motion: reduce)').matches;
    el.scrollIntoView({ block: 'center', behavior: reduce ? 'auto' : 'smooth' });
    if (!el.hasAttribute('tabindex') && !el.matches('a[href],button,input,select,textarea')) el.setAttribute('tabindex', '-1');
    el.focus({ preventScroll: true });
    return true;
  }

  // ----- a comment form (main, reply, feedback) ------------------------------------------

  class Form {
    // opts: parent (comment), anchor, label, submitText, compact, onCancel, onPosted
    constructor(thread, opts) {
      this.t = thread;
      this.o = opts = opts || {};
      const who = store.get('author', {});
      const id = (p) => uid(p);
      this.fields = {};
      const field = (name, label, control, hint) => {
        control.id = control.id || id(name);
        const err = h('span', { class: 'ferr', id: id('e') });
        control.setAttribute('aria-describedby', (hint ? control.id + '-h ' : '') + err.id);
        this.fields[name] = { control, err };
        return h('div', { class: 'fld' }, h('label', { for: control.id, text: label }), control,
          hint ? h('span', { class: 'hint', id: control.id + '-h', text: hint }) : null, err);
      };
      this.body = h('textarea', { dir: 'auto', name: 'body', rows: opts.compact ? 3 : 4, maxlength: 10000, required: true });
      this.name = h('input', { name: 'author_name', type: 'text', maxlength: 64, autocomplete: 'name' });
      this.email = h('input', { name: 'author_email', type: 'email', maxlength: 254, autocomplete: 'email' });
      this.name.value = who.name || '';
      this.email.value = who.email || '';
      this.notify = h('select', { name: 'notify' },
        h('option', { value: 'none', text: t('w.notify.none') }),
        h('option', { value: 'thread', text: t('w.notify.thread') }),
        h('option', { value: 'replies', text: t('w.notify.replies') }));
      this.website = h('input', { name: 'website', type: 'text', tabindex: '-1', autocomplete: 'off', id: id('hp') });
      this.alert = h('p', { class: 'alert', role: 'alert' });
      this.submit = h('button', { type: 'submit', class: 'primary', text: opts.submitText || t('w.post') });
      this.el = h('form', { novalidate: true, 'aria-label': opts.label || t('w.leave'), onsubmit: (e) => this.send(e) },
        opts.quote ? h('p', { class: 'q' }, h('span', { class: 'sr', text: t('w.quoted') + ' ' }), quoted(opts.quote)) : null,
        field('body', opts.bodyLabel || t('w.comment'), this.body),
        h('div', { class: 'row' },
          field('author_name', t('w.name'), this.name),
          field('author_email', t('w.email'), this.email, t('w.email_hint')),
          field('notify', t('w.notify'), this.notify)),
        h('div', { class: 'hp', 'aria-hidden': 'true' },
          h('label', { for: this.website.id, text: t('w.honeypot') }), this.website),
        this.alert,
        h('div', { class: 'sub' }, this.submit,
          opts.onCancel ? h('button', { type: 'button', text: t('w.cancel'), onclick: () => opts.onCancel() }) : null));
      this.el.addEventListener('keydown', (e) => { if (e.key === 'Escape' && opts.onCancel) opts.onCancel(); });
    }

    error(name, message) {
      const f = this.fields[name];
      if (!f) return false;
      f.err.textContent = message;
      f.control.setAttribute('aria-invalid', 'true');
      return true;
    }

    clear() {
      this.alert.textContent = '';
      for (const k in this.fields) { this.fields[k].err.textContent = ''; this.fields[k].control.removeAttribute('aria-invalid'); }
    }

    async send(e) {
      e.preventDefault();
      this.clear();
      const body = this.body.value.trim(), name = this.name.value.trim(), email = this.email.value.trim();
      const notify = this.notify.value;
      let bad = false;
      if (!body) bad = this.error('body', t('w.write_first'));
      if (notify !== 'none' && !email) bad = this.error('author_email', t('w.need_email'));
      if (bad) { this.alert.textContent = t('w.fix_fields'); this.focusInvalid(); return; }
      const th = this.t, o = this.o;
      const payload = { site: SITE, thread: th.key, thread_title: th.title, body, notify, lang: LANG, website: this.website.value };
      if (/^https?:/.test(th.url)) payload.thread_url = th.url;
      if (name) payload.author_name = name;
      if (email) payload.author_email = email;
      if (o.parent) payload.parent_id = o.parent.id;
      if (o.anchor) payload.anchor = o.anchor;
      // Busy, not disabled: a disabled button drops the keyboard focus to <body>.
      if (this.busy) return;
      this.busy = true;
      this.submit.setAttribute('aria-disabled', 'true');
      const r = await api('POST', '/comments', { body: payload });
      this.busy = false;
      this.submit.removeAttribute('aria-disabled');
      if (!r.ok) {
        let listed = false;
        for (const fe of (r.data && r.data.errors) || []) listed = this.error(fe.field, fieldText(fe)) || listed;
        this.alert.textContent = problemText(r);
        if (listed) this.focusInvalid();
        return;
      }
      store.set('author', { name, email });
      remember(r.data.id, { t: r.data.edit_token, u: Date.parse(r.data.edit_until), s: SITE, k: th.key, at: Date.now() });
      this.body.value = '';
      this.notify.value = 'none';
      th.addOwn(r.data.comment, true);
      if (o.onPosted) o.onPosted(r.data, notify !== 'none');
    }

    focusInvalid() {
      const bad = this.el.querySelector('[aria-invalid=true]');
      if (bad) bad.focus();
    }
  }

  // ----- "Manage my comments and emails": a signed link by email, no account -----------------

  function manage() {
    const email = h('input', { type: 'email', name: 'email', maxlength: 254, autocomplete: 'email', required: true, id: uid('me') });
    email.value = store.get('author', {}).email || '';
    const msg = h('p', { class: 'msg', role: 'status' });
    const send = async (e) => {
      e.preventDefault();
      if (!email.value.trim()) { msg.textContent = t('w.mine_enter'); return; }
      const r = await api('POST', '/mine', { body: { site: SITE, email: email.value.trim() } });
      msg.textContent = r.ok ? t('w.mine_sent') : problemText(r);
    };
    return h('details', { class: 'mine' }, h('summary', { text: t('w.mine') }),
      h('form', { novalidate: true, 'aria-label': t('w.mine'), onsubmit: send },
        h('p', { class: 'hint', text: t('w.mine_hint') }),
        h('label', { for: email.id, text: t('w.mine_email') }), email,
        h('div', { class: 'sub' }, h('button', { type: 'submit', text: t('w.mine_send') })), msg));
  }

  // ----- the comment section ---------------------------------------------------------

  const SORTS = ['newest', 'oldest', 'top'];

  class Thread {
    constructor(el) {
      this.el = el;
      this.key = el.getAttribute('data-commentsvc-thread');
      this.title = el.getAttribute('data-commentsvc-title') || document.title;
      this.url = el.getAttribute('data-commentsvc-url') || location.href.split('#')[0];
      this.sort = 'newest';
      this.filter = 'all';
      this.count = 0;
      this.nodes = new Map();
      this.fresh = new Set();
      this.deleting = new Set();
      this.missed = 0;
      this.backoff = 1000;
      this.bubbles = [];
      this.build();
    }

    build() {
      const hid = uid('h');
      this.heading = h('h2', { id: hid, tabindex: '-1', text: t('w.heading') });
      this.shut = h('p', { class: 'muted', hidden: true, text: t('w.closed') });
      this.form = new Form(this, {
        onPosted: (d, subscribed) => this.say(t('w.thanks.comment') +
          (subscribed ? ' ' + t('w.thanks.confirm') : '')),
      });
      this.sortBtns = SORTS.map((v) => h('button', {
        type: 'button', 'aria-pressed': String(v === this.sort), 'data-sort': v, text: t('w.sort.' + v),
        onclick: () => { this.sort = v; this.reload(); },
      }));
      this.allBtn = h('button', { type: 'button', 'aria-pressed': 'true', text: t('w.all'), onclick: () => this.setFilter('all') });
      this.fbBtn = h('button', { type: 'button', 'aria-pressed': 'false', text: t('w.feedbacks'), onclick: () => this.setFilter('feedback') });
      this.notice = h('div', { class: 'notice', 'aria-live': 'polite' });
      this.status = h('p', { class: 'status', role: 'status' });
      this.list = h('ol', { class: 'list', 'aria-labelledby': hid });
      this.more = h('button', { type: 'button', class: 'more', hidden: true, text: t('w.more'), onclick: () => this.load(false) });
      const fid = uid('f');
      this.featList = h('ol');
      this.feat = h('div', { class: 'feat', role: 'region', hidden: true, 'aria-labelledby': fid },
        h('h3', { id: fid, text: t('w.featured') }), this.featList);
      this.wrap = h('section', { class: 'w', 'aria-labelledby': hid },
        this.heading, this.form.el, this.shut,
        h('div', { class: 'bar' },
          h('div', { role: 'group', 'aria-label': t('w.sort') }, h('span', { class: 'muted', text: t('w.sort_by') }), this.sortBtns),
          h('div', { role: 'group', 'aria-label': t('w.show') }, this.allBtn, this.fbBtn)),
        this.notice, this.status, this.feat, this.list, this.more, manage());
      shadow(this.el, this.wrap);
    }

    say(text) { this.status.textContent = text; }

    setCounts(count, feedback) {
      if (typeof count === 'number') {
        this.count = count;
        this.heading.textContent = t('w.comments', { count });
        badges(this.key, count);
      }
      if (typeof feedback === 'number') this.fbBtn.textContent = t('w.feedbacks_n', { count: feedback });
    }

    setFilter(f) {
      this.filter = f;
      this.allBtn.setAttribute('aria-pressed', String(f === 'all'));
      this.fbBtn.setAttribute('aria-pressed', String(f === 'feedback'));
      this.reload();
    }

    reload() {
      for (const b of this.sortBtns) b.setAttribute('aria-pressed', String(b.getAttribute('data-sort') === this.sort));
      return this.load(true);
    }

    async load(reset) {
      if (!reset && this.loading) return;
      const seq = this.seq = (this.seq || 0) + 1; // a newer load (another sort) wins
      this.loading = true;
      const q = [['site', SITE], ['thread', this.key], ['sort', this.sort], ['filter', this.filter], ['limit', PAGE]];
      if (!reset && this.cursor) q.push(['cursor', this.cursor]);
      this.wrap.setAttribute('aria-busy', 'true');
      const r = await api('GET', '/comments', { query: q });
      if (seq !== this.seq) return;
      this.loading = false;
      this.wrap.removeAttribute('aria-busy');
      if (!r.ok) { this.say(problemText(r)); return; }
      this.closed = !!r.data.thread.closed; // closed threads show no forms
      this.form.el.hidden = this.closed;
      this.shut.hidden = !this.closed;
      if (reset) {
        this.list.textContent = '';
        this.nodes.clear();
        this.fresh.clear();
        this.missed = 0;
        this.showNotice();
      }
      this.setCounts(r.data.thread.count, r.data.thread.feedback_count);
      if (reset) this.showFeatured(r.data.featured);
      for (const c of r.data.comments) if (!this.nodes.has(c.id)) this.list.append(...this.tree(c, 0));
      this.cursor = r.data.next_cursor;
      this.more.hidden = !this.cursor;
      if (reset) await this.showMine();
      if (!this.started) { this.started = true; this.live(); if (this.bubbles.length) this.countBubbles(); }
    }

    // A comment and its replies: nested to MAX_DEPTH levels, then flattened.
    tree(c, depth, replyTo) {
      const li = this.one(c, depth, replyTo);
      const out = [li];
      for (const r of c.replies || []) {
        if (depth < MAX_DEPTH - 1) li.kids.append(...this.tree(r, depth + 1));
        else out.push(...this.tree(r, depth, c.author_name || t('w.a_deleted')));
      }
      return out;
    }

    one(c, depth, replyTo) {
      const own = mine()[c.id];
      const pending = c.status !== 'approved' && c.status !== 'deleted';
      const li = h('li', { class: 'c' + (pending ? ' pending' : '') + (c.featured ? ' featured' : ''), 'data-id': c.id, 'data-kind': c.kind });
      li.c = c;
      li.depth = depth;
      li.replyTo = replyTo;
      li.kids = h('ol', { class: 'replies' });
      li.panel = h('div', { class: 'slot' });
      li.msg = h('p', { class: 'msg', role: 'status' });
      const aid = uid('a');
      const art = h('article', { 'aria-labelledby': aid });
      if (c.status === 'deleted') {
        art.append(h('p', { class: 'gone', id: aid, text: t('w.deleted') }));
      } else {
        const av = h('span', { class: 'av', 'aria-hidden': 'true', text: (c.avatar && c.avatar.initials) || '?' });
        if (c.avatar) av.style.setProperty('--hue', String(c.avatar.hue)); // CSSOM, not a style attribute
        art.append(h('header', { class: 'ch' }, av, h('bdi', { class: 'name', id: aid, text: c.author_name || t('w.guest') }),
          c.staff ? h('span', { class: 'badge staff', text: t('w.staff') }) : null,
          c.featured ? h('span', { class: 'badge', text: t('w.featured_badge') }) : null,
          timeEl(c.created_at), c.edited_at ? h('span', { class: 'muted', text: t('w.edited') }) : null,
          replyTo ? h('span', { class: 'muted' }, ...inReplyTo(replyTo)) : null));
        if (pending) art.append(this.pendingNote(c));
        if (c.anchor && c.anchor.quote) art.append(this.quoteEl(c.anchor));
        const body = h('div', { class: 'body', dir: 'auto' });
        body.innerHTML = c.body_html; // sanitized by the server (nh3); the only HTML we insert
        art.append(body, this.actions(c, li, own, pending));
      }
      li.append(art, li.msg, li.panel, li.kids);
      this.nodes.set(c.id, li);
      return li;
    }

    // The Featured strip above the thread: each featured comment is also marked in place.
    showFeatured(list) {
      this.featList.textContent = '';
      for (const c of list || []) {
        const go = (e) => {
          const li = this.nodes.get(c.id);
          if (!li) return;
          e.preventDefault();
          const a = li.querySelector('article');
          a.setAttribute('tabindex', '-1');
          a.scrollIntoView({ block: 'center' });
          a.focus({ preventScroll: true });
        };
        const body = h('div', { class: 'body', dir: 'auto' });
        body.innerHTML = c.body_html; // sanitized by the server, as in the thread
        this.featList.append(h('li', { 'data-id': c.id },
          h('header', { class: 'ch' }, h('bdi', { class: 'name', text: c.author_name || t('w.guest') }),
            c.staff ? h('span', { class: 'badge staff', text: t('w.staff') }) : null, timeEl(c.created_at)),
          body, h('a', { href: '#', onclick: go, text: t('w.go_to') })));
      }
      this.feat.hidden = !this.featList.children.length;
    }

    async refreshFeatured() {
      const q = [['site', SITE], ['thread', this.key], ['sort', this.sort], ['limit', 1]];
      const r = await api('GET', '/comments', { query: q });
      if (r.ok) this.showFeatured(r.data.featured);
    }

    pendingNote(c) {
      const why = c.waiting_because || [];
      const text = c.status === 'received' || c.status === 'pending' ? t('w.awaiting') : t('w.not_published');
      return h('div', { class: 'note' },
        h('span', { class: 'badge', text }),
        h('span', { class: 'muted', text: ' ' + t('w.only_you') }),
        why.length ? h('ul', { class: 'why', 'aria-label': t('w.why') },
          why.map((w) => h('li', { text: has('why.' + w.rule) ? t('why.' + w.rule) : w.message }))) : null);
    }

    quoteEl(a) {
      const text = a.quote.length > 240 ? a.quote.slice(0, 240) + '…' : a.quote;
      return h('p', { class: 'on' }, h('span', { class: 'muted', text: t('w.feedback_on') + ' ' }),
        h('a', {
          href: '#' + (a.block || ''), class: 'quote', title: t('w.show_passage'), dir: 'auto',
          onclick: (e) => { e.preventDefault(); showPassage(a); },
        }, quoted(text)));
    }

    actions(c, li, own, pending) {
      const bar = h('div', { class: 'acts' });
      if (pending) {
        if (own && own.u > Date.now()) bar.append(...this.ownButtons(c, li, own));
        return bar;
      }
      const mineVote = store.get('votes', {})[c.id] || 0;
      const vote = (value, label, sign) => h('button', {
        type: 'button', class: 'vote', 'aria-pressed': String(mineVote === value), 'data-vote': value,
        'aria-label': t(label, { count: value > 0 ? c.votes.up : c.votes.down }),
        onclick: () => this.vote(li, li.querySelector('[data-vote="' + value + '"]').getAttribute('aria-pressed') === 'true' ? 0 : value),
      }, h('span', { 'aria-hidden': 'true', text: sign + ' ' }), h('span', { class: 'n', 'aria-hidden': 'true', text: nf.format(value > 0 ? c.votes.up : c.votes.down) }));
      if (own) {
        bar.append(h('span', { class: 'muted', text: t('w.votes', { up: nf.format(c.votes.up), down: nf.format(c.votes.down) }) }));
      } else {
        bar.append(vote(1, 'w.vote_up', '▲'), vote(-1, 'w.vote_down', '▼'));
      }
      if (!this.closed) bar.append(this.toggle(li, t('w.reply'), () => new Form(this, {
        parent: c, compact: true, label: t('w.reply_to', { name: c.author_name || t('w.guest') }), bodyLabel: t('w.your_reply'),
        submitText: t('w.post_reply'), onCancel: () => this.closeSlot(li),
        onPosted: () => { this.closeSlot(li); this.say(t('w.thanks.reply')); },
      }).el));
      if (!own) bar.append(this.toggle(li, t('w.report'), () => this.reportForm(c, li)));
      if (own && own.u > Date.now()) bar.append(...this.ownButtons(c, li, own));
      return bar;
    }

    ownButtons(c, li, own) {
      return [
        this.toggle(li, t('w.edit'), () => this.editForm(c, li, own)),
        this.toggle(li, t('w.delete'), () => this.deleteForm(c, li, own)),
      ];
    }

    // A button that opens a small form in the comment's slot (one at a time).
    toggle(li, label, make) {
      const b = h('button', { type: 'button', 'aria-expanded': 'false', text: label });
      b.addEventListener('click', () => {
        const open = b.getAttribute('aria-expanded') === 'true';
        this.closeSlot(li);
        if (open) return;
        li.panel.append(make());
        li.opener = b;
        b.setAttribute('aria-expanded', 'true');
        const first = li.panel.querySelector('textarea,select,input:not([tabindex="-1"]),button');
        if (first) first.focus();
      });
      return b;
    }

    closeSlot(li) {
      const back = li.panel.contains(document.activeElement) || li.panel.contains(this.el.shadowRoot.activeElement);
      li.panel.textContent = '';
      for (const b of li.querySelectorAll(':scope>article [aria-expanded=true]')) b.setAttribute('aria-expanded', 'false');
      if (back && li.opener) li.opener.focus();
    }

    reportForm(c, li) {
      const reason = h('select', { id: uid('r') },
        ['spam', 'abuse', 'off_topic', 'other'].map((v) => h('option', { value: v, text: t('w.report.' + v) })));
      const note = h('input', { id: uid('n'), type: 'text', maxlength: 1000 });
      const alert = h('p', { class: 'alert', role: 'alert' });
      return h('form', {
        novalidate: true, 'aria-label': t('w.report_this'), onsubmit: async (e) => {
          e.preventDefault();
          const r = await api('POST', '/comments/' + enc(c.id) + '/flags',
            { body: { reason: reason.value, note: note.value.trim(), reporter: clientId('reporter') } });
          if (!r.ok) { alert.textContent = problemText(r); return; }
          this.closeSlot(li);
          li.msg.textContent = t('w.reported');
        },
      }, h('label', { for: reason.id, text: t('w.what_wrong') }), reason,
      h('label', { for: note.id, text: t('w.report_note') }), note, alert,
      h('div', { class: 'sub' }, h('button', { type: 'submit', class: 'primary', text: t('w.send_report') }),
        h('button', { type: 'button', text: t('w.cancel'), onclick: () => this.closeSlot(li) })));
    }

    editForm(c, li, own) {
      const ta = h('textarea', { dir: 'auto', id: uid('ed'), rows: 4, maxlength: 10000 });
      const alert = h('p', { class: 'alert', role: 'alert' });
      api('GET', '/comments/' + enc(c.id), { token: own.t }).then((r) => { if (r.ok) ta.value = r.data.body || ''; });
      return h('form', {
        novalidate: true, 'aria-label': t('w.edit_this'), onsubmit: async (e) => {
          e.preventDefault();
          const r = await api('PATCH', '/comments/' + enc(c.id), { body: { body: ta.value.trim() }, token: own.t });
          if (!r.ok) { alert.textContent = problemText(r); return; }
          this.replace(li, r.data.comment);
          this.say(t('w.edit_waits'));
        },
      }, h('label', { for: ta.id, text: t('w.your_comment') }), ta, alert,
      h('div', { class: 'sub' }, h('button', { type: 'submit', class: 'primary', text: t('w.save') }),
        h('button', { type: 'button', text: t('w.cancel'), onclick: () => this.closeSlot(li) })));
    }

    deleteForm(c, li, own) {
      const alert = h('p', { class: 'alert', role: 'alert' });
      return h('div', { class: 'msg' }, t('w.delete_q') + ' ',
        h('button', {
          type: 'button', class: 'primary', text: t('w.delete'), onclick: async () => {
            this.deleting.add(c.id);
            const r = await api('DELETE', '/comments/' + enc(c.id), { token: own.t });
            if (!r.ok) { this.deleting.delete(c.id); alert.textContent = problemText(r); return; }
            remember(c.id, null);
            if (this.nodes.get(c.id) === li) this.drop(li); // unless the live event did
            this.say(t('w.deleted_own'));
            this.heading.focus();
          },
        }), ' ', h('button', { type: 'button', text: t('w.cancel'), onclick: () => this.closeSlot(li) }), alert);
    }

    async vote(li, value) {
      const c = li.c;
      const r = await api('POST', '/comments/' + enc(c.id) + '/votes', { body: { value, voter: clientId('voter') } });
      if (!r.ok) {
        li.msg.textContent = r.status === 403 ? t('w.own_vote') : problemText(r);
        return;
      }
      const votes = store.get('votes', {});
      delete votes[c.id];
      if (value) votes[c.id] = value;
      const ids = Object.keys(votes);
      for (const id of ids.slice(0, Math.max(0, ids.length - 500))) delete votes[id]; // keep the latest
      store.set('votes', votes);
      c.votes = r.data;
      this.showVotes(li, value);
    }

    showVotes(li, mineVote) {
      const c = li.c;
      if (mineVote === undefined) mineVote = store.get('votes', {})[c.id] || 0;
      for (const b of li.querySelectorAll(':scope>article .vote')) {
        const v = Number(b.getAttribute('data-vote')), n = v > 0 ? c.votes.up : c.votes.down;
        b.setAttribute('aria-pressed', String(v === mineVote));
        b.setAttribute('aria-label', t(v > 0 ? 'w.vote_up' : 'w.vote_down', { count: n }));
        b.querySelector('.n').textContent = nf.format(n);
      }
    }

    // Replace a rendered comment in place, keeping its replies.
    replace(li, c) {
      const fresh = this.one(c, li.depth, li.replyTo);
      fresh.kids.replaceWith(li.kids);
      fresh.kids = li.kids;
      li.replaceWith(fresh);
      return fresh;
    }

    drop(li) {
      this.nodes.delete(li.c.id);
      if (li.kids.children.length) this.replace(li, { ...li.c, status: 'deleted' });
      else li.remove();
    }

    // Put a comment of ours (any status) where it belongs; only this browser sees a pending one.
    addOwn(c, justPosted) {
      const old = this.nodes.get(c.id);
      if (old) return this.replace(old, c);
      const parent = c.parent_id && this.nodes.get(c.parent_id);
      let li;
      if (parent) {
        const nested = parent.depth < MAX_DEPTH - 1;
        li = this.one(c, nested ? parent.depth + 1 : parent.depth, nested ? null : parent.c.author_name);
        (nested ? parent.kids : parent.parentNode).append(li);
      } else if (!c.parent_id) {
        li = this.one(c, 0);
        this.list.prepend(li);
      } else {
        return null;
      }
      if (justPosted) {
        // Live events normally tell us the outcome; look once more in case the stream is down.
        setTimeout(() => this.checkOwn(c.id), 4000);
      }
      return li;
    }

    async checkOwn(id) {
      const m = mine()[id];
      if (!m) return;
      const r = await api('GET', '/comments/' + enc(id), { token: m.t });
      const li = this.nodes.get(id);
      if (r.status === 404) { if (li) this.drop(li); remember(id, null); return; }
      if (!r.ok) return;
      const c = r.data;
      if (c.status === 'deleted') { if (li) this.drop(li); return; }
      const why = (x) => JSON.stringify(x.waiting_because || []);
      if (li && li.c.status === c.status && why(li.c) === why(c)) return;
      if (!li && this.filter === 'feedback' && c.kind !== 'feedback') return; // not in this view
      const placed = li ? this.replace(li, c) : this.addOwn(c);
      if (placed && c.status === 'approved' && c.kind === 'feedback') this.countBubbles(true);
      if (placed && c.status === 'approved' && li) {
        this.say(t('w.published'));
        if (!this.es || this.es.readyState !== 1) this.refreshCount();
      }
    }

    async showMine() {
      const m = mine();
      const ids = Object.keys(m).filter((id) => m[id].k === this.key && m[id].s === SITE && !this.nodes.has(id));
      for (const id of ids.sort().slice(-10)) {
        const r = await api('GET', '/comments/' + enc(id), { token: m[id].t });
        if (r.status === 404) { remember(id, null); continue; }
        const c = r.data;
        if (!r.ok || (c.status !== 'received' && c.status !== 'pending')) continue;
        if (this.filter === 'feedback' && c.kind !== 'feedback') continue;
        this.addOwn(c);
      }
    }

    async refreshCount() {
      const r = await api('GET', '/counts', { query: [['site', SITE], ['thread', this.key]] });
      if (!r.ok) return;
      const n = r.data.counts[this.key];
      if (n > this.count && this.ready) { this.missed += n - this.count; this.showNotice(); }
      this.setCounts(n);
    }

    showNotice() {
      const n = this.fresh.size + Math.max(0, this.missed);
      this.notice.textContent = '';
      if (!n) return;
      this.notice.append(h('button', {
        type: 'button', class: 'new', text: t('w.new', { count: n }),
        onclick: () => this.reload().then(() => this.heading.focus({ preventScroll: true })),
      }));
    }

    // ----- live updates: Server-Sent Events, reconnecting with backoff, never polling ---

    live() {
      if (!window.EventSource) return;
      const es = new EventSource(API + '/stream?site=' + enc(SITE) + '&thread=' + enc(this.key));
      this.es = es;
      const data = (e) => { try { return JSON.parse(e.data); } catch (x) { return {}; } };
      es.onopen = () => {
        this.backoff = 1000;
        if (this.ready) this.refreshCount(); // caught up after a drop
        this.ready = true;
      };
      es.addEventListener('comment.approved', (e) => this.onApproved(data(e)));
      es.addEventListener('comment.updated', (e) => this.onChanged(data(e)));
      es.addEventListener('comment.deleted', (e) => this.onDeleted(data(e)));
      es.addEventListener('count', (e) => this.setCounts(data(e).count));
      es.onerror = () => {
        es.close();
        const wait = this.backoff;
        this.backoff = Math.min(this.backoff * 2, 60000);
        setTimeout(() => this.live(), wait / 2 + Math.random() * wait / 2);
      };
    }

    onApproved(ev) {
      if (!ev.id) return;
      if (this.bubbles.length) this.countBubbles(true);
      if (mine()[ev.id]) { this.checkOwn(ev.id); return; }
      if (this.nodes.has(ev.id) || this.fresh.has(ev.id)) return;
      if (this.filter === 'feedback' && ev.kind && ev.kind !== 'feedback') return; // not in this view
      this.fresh.add(ev.id);
      this.showNotice();
    }

    // Gone from public view. Ours may only be held again (after an edit): ask with the
    // token. Others' (or ours being deleted right now) need no fetch: it would only 404.
    onDeleted(ev) {
      if (!ev.id) return;
      if (mine()[ev.id] && !this.deleting.has(ev.id)) { this.checkOwn(ev.id); return; }
      const gone = this.featList.querySelector('[data-id="' + CSS.escape(ev.id) + '"]');
      if (gone) { gone.remove(); this.feat.hidden = !this.featList.children.length; }
      const li = this.nodes.get(ev.id);
      if (!li) return;
      clearTimeout(li.timer);
      this.drop(li);
      if (this.bubbles.length) this.countBubbles(true);
    }

    onChanged(ev) {
      if (!ev.id) return;
      const li = this.nodes.get(ev.id);
      if (mine()[ev.id] && (!li || li.classList.contains('pending'))) { this.checkOwn(ev.id); return; }
      if (!li) return;
      clearTimeout(li.timer);
      li.timer = setTimeout(async () => {
        const r = await api('GET', '/comments/' + enc(ev.id));
        const now = this.nodes.get(ev.id);
        if (!now) return;
        if (r.status === 404) { this.drop(now); if (this.bubbles.length) this.countBubbles(true); return; }
        if (!r.ok) return;
        const marked = r.data.featured !== now.c.featured;
        if (marked || r.data.body_html !== now.c.body_html || r.data.edited_at !== now.c.edited_at) this.replace(now, r.data);
        else { now.c.votes = r.data.votes; this.showVotes(now); }
        if (marked) this.refreshFeatured();
      }, 300 + Math.random() * 700);
    }

    // ----- inline feedback: question bubbles and counts -----------------------------

    // Feedback counts: the filter button's total, and each question's from anchor.block.
    async countBubbles(later) {
      if (later) { clearTimeout(this.bubbleTimer); this.bubbleTimer = setTimeout(() => this.countBubbles(), 500 + Math.random() * 1500); return; }
      const tally = {};
      let cursor = null;
      for (let page = 0; page < 5; page++) {
        const q = [['site', SITE], ['thread', this.key], ['filter', 'feedback'], ['sort', 'oldest'], ['limit', this.bubbles.length ? 100 : 1]];
        if (cursor) q.push(['cursor', cursor]);
        const r = await api('GET', '/comments', { query: q });
        if (!r.ok) return;
        this.setCounts(undefined, r.data.thread.feedback_count);
        if (!this.bubbles.length) return;
        for (const c of r.data.comments) if (c.status === 'approved' && c.anchor && c.anchor.block) tally[c.anchor.block] = (tally[c.anchor.block] || 0) + 1;
        cursor = r.data.next_cursor;
        if (!cursor) break;
      }
      for (const b of this.bubbles) b.show(tally[b.id] || 0);
    }
  }

  function bubbleIcon() {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    const path = document.createElementNS(ns, 'path');
    for (const [k, v] of [['viewBox', '0 0 16 16'], ['width', '14'], ['height', '14'], ['aria-hidden', 'true'], ['focusable', 'false']]) svg.setAttribute(k, v);
    path.setAttribute('d', 'M2 2h12a1 1 0 0 1 1 1v8a1 1 0 0 1-1 1H7l-3.5 3v-3H2a1 1 0 0 1-1-1V3a1 1 0 0 1 1-1z');
    path.setAttribute('fill', 'currentColor');
    svg.append(path);
    return svg;
  }

  class Bubble {
    constructor(thread, el) {
      this.t = thread;
      this.id = el.getAttribute('data-commentsvc-feedback');
      this.question = (el.getAttribute('data-question') || squash(el.textContent).trim()).slice(0, 1000);
      this.count = h('span', { class: 'n', text: nf.format(0) });
      this.btn = h('button', {
        type: 'button', class: 'bub', 'aria-expanded': 'false', onclick: () => this.toggle(),
      }, bubbleIcon(), this.count);
      this.box = h('div', { class: 'box', hidden: true });
      this.msg = h('span', { class: 'sr', role: 'status' });
      const host = h('span', { class: 'commentsvc-bubble' });
      el.append(host);
      shadow(host, this.btn, this.msg, this.box);
      this.show(0);
    }

    show(n) {
      this.count.textContent = nf.format(n);
      this.btn.setAttribute('aria-label', t('w.answer_q', { question: this.question, count: n }));
    }

    toggle() {
      const open = this.box.hidden;
      this.box.textContent = '';
      this.box.hidden = !open;
      this.btn.setAttribute('aria-expanded', String(open));
      if (!open) { this.btn.focus(); return; }
      const form = new Form(this.t, {
        anchor: { quote: this.question, prefix: '', suffix: '', block: this.id },
        compact: true, label: t('w.answer', { question: this.question }), bodyLabel: t('w.your_answer'),
        submitText: t('w.send_feedback'), quote: this.question, onCancel: () => this.toggle(),
        onPosted: () => {
          this.toggle();
          this.msg.textContent = t('w.thanks.feedback');
          this.t.say(t('w.thanks.feedback'));
        },
      });
      // The same passage can be reported as wrong, privately (the corrections desk).
      const report = h('button', { type: 'button', text: t('w.report_error'), onclick: () => this.report() });
      this.box.append(form.el, h('p', { class: 'sub' }, report));
      form.body.focus();
    }

    report() {
      const anchor = { quote: this.question, prefix: '', suffix: '', block: this.id };
      const f = errorForm(this.t, anchor, () => this.toggle(), (confirm) => {
        this.toggle();
        const thanks = t('w.thanks.error') + (confirm ? ' ' + t('w.thanks.error_confirm') : '');
        this.msg.textContent = thanks;
        this.t.say(thanks);
      });
      this.box.textContent = '';
      this.box.append(f.el);
      f.note.focus();
    }
  }

  // "Comment on this": offered for a selection inside [data-commentsvc-article].
  class Selection {
    constructor(thread, root) {
      this.t = thread;
      this.root = root;
      this.host = h('div', { class: 'commentsvc-pop' });
      this.host.hidden = true;
      this.inner = h('div', { class: 'pop' });
      document.body.append(this.host);
      shadow(this.host, this.inner);
      let timer = 0;
      document.addEventListener('selectionchange', () => { clearTimeout(timer); timer = setTimeout(() => this.check(), 200); });
    }

    check() {
      if (this.open) return;
      const sel = document.getSelection();
      const range = sel && sel.rangeCount && !sel.isCollapsed ? sel.getRangeAt(0) : null;
      const anchor = range && this.root.contains(range.commonAncestorContainer) ? anchorOf(range, this.root) : null;
      if (!anchor) { this.hide(); return; }
      this.anchor = anchor;
      this.inner.textContent = '';
      this.inner.append(h('button', { type: 'button', class: 'primary', text: t('w.comment_on_this'), onclick: () => this.form() }),
        ' ', h('button', { type: 'button', text: t('w.report_error'), onclick: () => this.report() }));
      this.place(range);
    }

    // Just after the selected block, so Tab reaches it next; positioned under the selection.
    place(range) {
      let n = range.endContainer;
      while (n.parentNode && n.parentNode !== this.root) n = n.parentNode;
      if (n.parentNode === this.root && n.nextSibling !== this.host) n.after(this.host);
      this.host.hidden = false;
      const rect = range.getBoundingClientRect();
      const op = this.host.offsetParent;
      const page = !op || op === document.body || op === document.documentElement;
      const base = page ? { top: -window.scrollY, left: -window.scrollX } : op.getBoundingClientRect();
      const width = document.documentElement.clientWidth;
      const s = this.host.style; // CSSOM positioning, allowed under a strict style-src
      s.setProperty('top', Math.round(rect.bottom - base.top + 8) + 'px');
      s.setProperty('left', Math.round(Math.max(8, Math.min(rect.left, width - 340)) - base.left) + 'px');
    }

    form() {
      this.open = true;
      const f = new Form(this.t, {
        anchor: this.anchor, compact: true, quote: this.anchor.quote, label: t('w.on_passage'),
        bodyLabel: t('w.your_feedback'), submitText: t('w.send_feedback'), onCancel: () => this.hide(),
        onPosted: () => { this.hide(); this.t.say(t('w.thanks.feedback')); },
      });
      this.inner.textContent = '';
      this.inner.append(f.el);
      f.body.focus();
    }

    // "Report an error": private to the newsroom, never a comment.
    report() {
      this.open = true;
      const f = errorForm(this.t, this.anchor, () => this.hide(), (confirm) => {
        this.hide();
        this.t.say(t('w.thanks.error') + (confirm ? ' ' + t('w.thanks.error_confirm') : ''));
      });
      this.inner.textContent = '';
      this.inner.append(f.el);
      f.note.focus();
    }

    hide() {
      const had = this.open && this.host.shadowRoot.activeElement;
      this.open = false;
      this.host.hidden = true;
      this.inner.textContent = '';
      if (had) this.t.heading.focus({ preventScroll: true });
    }
  }

  // ----- the corrections desk: report an error, and the "Corrected" markers ---------------

  function errorForm(th, anchor, onCancel, onSent) {
    const note = h('textarea', { dir: 'auto', name: 'note', rows: 3, maxlength: 2000, required: true, id: uid('n') });
    const hint = h('span', { class: 'hint', id: uid('h'), text: t('w.error_email_hint') });
    const email = h('input', { type: 'email', name: 'email', maxlength: 254, autocomplete: 'email', id: uid('m'), 'aria-describedby': hint.id });
    email.value = store.get('author', {}).email || '';
    const hp = h('input', { name: 'website', type: 'text', tabindex: '-1', autocomplete: 'off', id: uid('hp') });
    const alert = h('p', { class: 'alert', role: 'alert' });
    const submit = h('button', { type: 'submit', class: 'primary', text: t('w.send_error') });
    let busy = false;
    async function send(e) {
      e.preventDefault();
      alert.textContent = '';
      const body = { site: SITE, thread: th.key, thread_title: th.title, anchor, note: note.value.trim(), lang: LANG, website: hp.value };
      if (/^https?:/.test(th.url)) body.thread_url = th.url;
      const m = email.value.trim();
      if (m) body.email = m;
      if (!body.note) { alert.textContent = t('w.write_first'); note.focus(); return; }
      if (busy) return;
      busy = true;
      submit.setAttribute('aria-disabled', 'true');
      const r = await api('POST', '/corrections', { body });
      busy = false;
      submit.removeAttribute('aria-disabled');
      if (!r.ok) { alert.textContent = problemText(r); return; }
      onSent(!!m);
    }
    const el = h('form', { novalidate: true, 'aria-label': t('w.error_form'), onsubmit: send },
      h('p', { class: 'q' }, h('span', { class: 'sr', text: t('w.quoted') + ' ' }), quoted(anchor.quote)),
      h('div', { class: 'fld' }, h('label', { for: note.id, text: t('w.error_note') }), note),
      h('div', { class: 'fld' }, h('label', { for: email.id, text: t('w.email') }), email, hint),
      h('div', { class: 'hp', 'aria-hidden': 'true' }, h('label', { for: hp.id, text: t('w.honeypot') }), hp),
      alert,
      h('div', { class: 'sub' }, submit, h('button', { type: 'button', text: t('w.cancel'), onclick: onCancel })));
    el.addEventListener('keydown', (e) => { if (e.key === 'Escape') onCancel(); });
    return { el, note };
  }

  // A small "Corrected" button after each corrected passage; it shows the date and the note.
  async function markCorrections(th) {
    const r = await api('GET', '/corrections', { query: [['site', SITE], ['thread', th.key]] });
    if (!r.ok) return;
    for (const c of r.data.corrections || []) {
      const range = findPassage(c.anchor);
      if (!range) continue;
      const when = new Date(c.corrected_at).toLocaleDateString(LANG);
      const note = h('span', { class: 'cnote', id: uid('c'), hidden: true }, t('w.corrected_on', { date: when }),
        c.public_note ? ' ' : null, c.public_note ? h('bdi', { text: c.public_note }) : null);
      const btn = h('button', { type: 'button', class: 'cor', 'aria-expanded': 'false', 'aria-controls': note.id,
        onclick: () => { note.hidden = !note.hidden; btn.setAttribute('aria-expanded', String(!note.hidden)); } },
      h('span', { 'aria-hidden': 'true', text: '\u2713 ' }), t('w.corrected'));
      const host = h('span', { class: 'commentsvc-corrected' });
      const end = range.cloneRange();
      end.collapse(false);
      end.insertNode(host);
      shadow(host, btn, note);
    }
  }

  // ----- count badges: one batched request per page ------------------------------------

  function badges(key, n) {
    for (const el of document.querySelectorAll('[data-commentsvc-count]')) {
      if (el.getAttribute('data-commentsvc-count') === key) el.textContent = t('w.comments', { count: n });
    }
  }
  function loadBadges() {
    const keys = [...new Set([...document.querySelectorAll('[data-commentsvc-count]')]
      .map((el) => el.getAttribute('data-commentsvc-count')).filter(Boolean))].slice(0, 100);
    if (!keys.length) return;
    api('GET', '/counts', { query: [['site', SITE], ...keys.map((k) => ['thread', k])] }).then((r) => {
      if (r.ok) for (const k of keys) if (typeof r.data.counts[k] === 'number') badges(k, r.data.counts[k]);
    });
  }

  // ----- start ---------------------------------------------------------------------------

  const threads = [];
  function start() {
    for (const el of document.querySelectorAll('[data-commentsvc-thread]')) {
      if (el.shadowRoot || !el.getAttribute('data-commentsvc-thread')) continue;
      threads.push(new Thread(el));
    }
    const first = threads[0];
    if (first) {
      for (const el of document.querySelectorAll('[data-commentsvc-feedback]')) first.bubbles.push(new Bubble(first, el));
      const root = article();
      if (root) { new Selection(first, root); markCorrections(first); }
      for (const t of threads) t.load(true);
    }
    loadBadges();
  }
  window.commentsvc = {
    version: 1,
    theme(value) { theme = value === 'auto' ? '' : value || ''; themeAll(); },
    showPassage,
  };
  const loaded = messages();
  const go = () => loaded.then(start);
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', go);
  else go();
})();
