// Message-display script: draws the Minuku banner above the message. A dumb renderer: it asks
// the background which message its document shows, then for that message's verdict, and only
// ever draws an answer naming that same message (lib/banner-dom.js builds the DOM).
"use strict";

(function () {
  const api = globalThis.messenger ?? globalThis.browser;
  if (!api || globalThis.__minukuBannerLoaded) return;
  globalThis.__minukuBannerLoaded = true;

  let myMessageId = null;

  function render(answer) {
    const old = document.getElementById("minuku-banner");
    if (old) old.remove();
    if (!answer || !answer.payload || answer.messageId !== myMessageId) return;
    const host = globalThis.MinukuBannerDom.buildBanner(document, answer.payload, {
      strings: answer.strings,
      hideOk: answer.hideOk === true,
      onDismiss: () => {
        api.runtime.sendMessage({ type: "minuku:dismiss", messageId: myMessageId }).catch(() => {});
      },
      onOpenUrl: (url) => {
        api.runtime.sendMessage({ type: "minuku:openUrl", url }).catch(() => {});
      },
    });
    if (host && document.body) document.body.prepend(host);
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
    if (answer && answer.payload && !document.getElementById("minuku-banner")) render(answer);
  })().catch((e) => console.warn("minuku banner:", e));
})();
