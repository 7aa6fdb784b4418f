// Message-display script: draws the Minuku banner above the message. A dumb renderer: it asks
// the background which message its document shows, then for that message's verdict, and only
// ever draws an answer naming that same message (lib/banner-dom.js builds and mounts the DOM).
//
// It never looks its banner up by id or selector: the mail's HTML can hold its own element
// with any id (`<div id="minuku-banner">`), so the one mounted banner is kept by reference.
//
// Progressive verdict (issue 9.1): the first answer may be the local (no-DNS) part; the full
// one is pushed later and replaces it in place, the space it held kept (mountBanner's floor),
// so the mail never moves under the cursor.
//
// Protection (issue 9.5): under a danger banner the mail's links do not open on a click: the
// click is stopped before Thunderbird sees it (capture phase, on the window) and the banner
// shows where the link really goes, with "open anyway"; "make links work" ends it for this
// message.
"use strict";

(function () {
  const api = globalThis.messenger ?? globalThis.browser;
  if (!api || globalThis.__minukuBannerLoaded) return;
  globalThis.__minukuBannerLoaded = true;

  let myMessageId = null;
  let mounted = null; // {host, spacer, unmount, base} of the banner drawn in this document
  let protect = false; // links inert (danger) until the user says otherwise
  let linksEnabled = false; // the user chose "make links work" for this message
  let lastAnswer = null;

  function clear() {
    if (mounted) mounted.unmount();
    mounted = null;
  }

  const send = (msg) => api.runtime.sendMessage({ ...msg, messageId: myMessageId });

  // keepSpace: a refinement pushed by the background keeps the space the banner held; the
  // user's own clicks (close, show again) may change it.
  function render(answer, { keepSpace = true } = {}) {
    if (!answer || answer.messageId !== myMessageId) return;
    const floor = mounted && keepSpace ? mounted.base() : 0;
    // Said once: a refinement with the same verdict is not spoken again (role=alert).
    const quiet = Boolean(mounted && keepSpace && lastAnswer?.payload?.verdict === answer.payload?.verdict);
    clear();
    lastAnswer = answer;
    protect = Boolean(answer.payload && answer.display && answer.display.protect);
    if (!answer.payload) return;
    const dom = globalThis.MinukuBannerDom;
    const host = dom.buildBanner(document, answer.payload, {
      strings: answer.strings,
      display: answer.display,
      quiet,
      onDismiss: () => {
        send({ type: "minuku:dismiss" }).catch(() => {});
        render({ ...lastAnswer, display: { ...lastAnswer.display, mini: true } }, { keepSpace: false });
      },
      onOpenUrl: (url) => {
        api.runtime.sendMessage({ type: "minuku:openUrl", url }).catch(() => {});
      },
      onAction: (name) => {
        if (name === "restore") {
          restore();
          return { ok: true };
        }
        if (name === "enableLinks") {
          linksEnabled = true;
          return { ok: true };
        }
        const type = {
          report: "minuku:report",
          reportBrand: "minuku:reportBrand",
          junk: "minuku:junk",
          delete: "minuku:delete",
          trust: "minuku:trustSender",
        }[name];
        return type ? send({ type }) : { ok: false };
      },
    });
    if (host && document.documentElement) mounted = dom.mountBanner(document, host, { floor });
  }

  function restore() {
    send({ type: "minuku:undismiss" }).catch(() => {});
    render({ ...lastAnswer, display: { ...lastAnswer.display, mini: false } }, { keepSpace: false });
  }

  // Where a click would take the reader, if anywhere: an <a>/<area> with an href, or a form's
  // submit control (Thunderbird's contentAreaClick opens a form's action like a link).
  function linkOf(ev) {
    const path = typeof ev.composedPath === "function" ? ev.composedPath() : [ev.target];
    for (const n of path) {
      if (mounted && n === mounted.host) return null; // our own banner's buttons
      if (!n || n.nodeType !== 1) continue;
      if ((n.localName === "a" || n.localName === "area") && n.hasAttribute("href")) {
        return { href: String(n.href || n.getAttribute("href")), text: n.textContent || "" };
      }
      const submit = (n.localName === "input" && /^(submit|image)$/i.test(n.type || "")) || (n.localName === "button" && !/^(button|reset)$/i.test(n.type || ""));
      if (submit && n.form && n.form.action) return { href: String(n.form.action), text: n.value || n.textContent || "" };
    }
    return null;
  }

  function onLinkEvent(ev) {
    if (!protect || linksEnabled || !mounted) return;
    const a = linkOf(ev);
    if (!a) return;
    ev.preventDefault();
    ev.stopImmediatePropagation();
    if (ev.type === "click" || (ev.type === "auxclick" && ev.button === 1)) {
      const dom = globalThis.MinukuBannerDom;
      const shown = a.text.trim().slice(0, 200);
      // A closed banner (the one-line reminder) opens again to say where the link goes.
      if (!dom.showLinkGuard(mounted.host, a.href, shown) && lastAnswer) {
        restore();
        if (mounted) dom.showLinkGuard(mounted.host, a.href, shown);
      }
    }
  }
  // Window, capture: before the mail's own handlers and before Thunderbird's contentAreaClick
  // (the message pane <browser>'s onclick) on the way back up.
  window.addEventListener("click", onLinkEvent, true);
  window.addEventListener("auxclick", onLinkEvent, true);

  // A refinement may be pushed before the first answer has told us which message we show: kept
  // until then, and drawn instead of that answer if it is for the same message.
  let early = null;
  api.runtime.onMessage.addListener((msg) => {
    // A pushed verdict (the refined answer, or "check this"): only for the message shown here.
    if (!msg || msg.type !== "minuku:show") return;
    if (myMessageId === null) early = msg;
    else if (msg.messageId === myMessageId) render(msg);
  });

  (async () => {
    // The background answers for the message this tab shows, and names it.
    const answer = await api.runtime.sendMessage({ type: "minuku:getBanner" });
    if (!answer || typeof answer.messageId !== "number") return;
    myMessageId = answer.messageId;
    if (early && early.messageId === myMessageId) render(early);
    else if (answer.payload && !mounted && !lastAnswer) render(answer);
    early = null;
  })().catch((e) => console.warn("minuku banner:", e));
})();
