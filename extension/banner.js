// Message-display script: draws the Minuku banner above the message. A dumb renderer: it asks
// the background which message its document shows, then for that message's verdict, and only
// ever draws an answer naming that same message (lib/banner-dom.js builds and mounts the DOM).
//
// It never looks its banner up by id or selector: the mail's HTML can hold its own element
// with any id (`<div id="minuku-banner">`), so the one mounted banner is kept by reference.
"use strict";

(function () {
  const api = globalThis.messenger ?? globalThis.browser;
  if (!api || globalThis.__minukuBannerLoaded) return;
  globalThis.__minukuBannerLoaded = true;

  let myMessageId = null;
  let mounted = null; // {host, spacer, unmount} of the banner drawn in this document

  function clear() {
    if (mounted) mounted.unmount();
    mounted = null;
  }

  function render(answer) {
    clear();
    if (!answer || !answer.payload || answer.messageId !== myMessageId) return;
    const dom = globalThis.MinukuBannerDom;
    const host = dom.buildBanner(document, answer.payload, {
      strings: answer.strings,
      display: answer.display,
      onDismiss: () => {
        clear();
        api.runtime.sendMessage({ type: "minuku:dismiss", messageId: myMessageId }).catch(() => {});
      },
      onOpenUrl: (url) => {
        api.runtime.sendMessage({ type: "minuku:openUrl", url }).catch(() => {});
      },
    });
    if (host && document.documentElement) mounted = dom.mountBanner(document, host);
  }

  api.runtime.onMessage.addListener((msg) => {
    // A pushed verdict ("check this"): only for the message this document shows.
    if (msg && msg.type === "minuku:show" && myMessageId !== null && msg.messageId === myMessageId) {
      render(msg);
    }
  });

  (async () => {
    const who = await api.runtime.sendMessage({ type: "minuku:whoami" });
    if (!who || typeof who.messageId !== "number") return;
    myMessageId = who.messageId;
    const answer = await api.runtime.sendMessage({ type: "minuku:getBanner", messageId: myMessageId });
    // A push may have drawn the banner meanwhile; the first answer does not replace it.
    if (answer && answer.payload && !mounted) render(answer);
  })().catch((e) => console.warn("minuku banner:", e));
})();
