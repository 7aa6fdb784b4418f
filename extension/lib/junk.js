// The account's own Junk folder: a message is only ever moved within its account, so without
// an account there is no Junk folder to move it to.

/** @returns {Promise<object|null>} the folder (folders API, specialUse "junk") or null */
export async function junkFolderOf(browser, accountId) {
  if (typeof accountId !== "string" || !accountId) return null;
  const found = await browser.folders.query({ accountId, specialUse: ["junk"] });
  return Array.isArray(found) && found.length ? found[0] : null;
}
