// The SMS segment count under the reply box of a text conversation; Messages/SmsSegments.cs counts
// the same way on the server. GSM-7: 160 characters in one part, 153 per part of a longer text, and
// ^ { } \ [ ~ ] | € take two. One character outside GSM-7 (á, í, ó, ú, an emoji…) makes the text
// UCS-2: 70 in one part, 67 per part, in UTF-16 units; a part never splits a two-unit character.
const basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const extension = "^{}\\[~]|€\f";

export const maxLength = 1600;

export function smsSegments(text) {
  if (!text) return { characters: 0, segments: 0, unicode: false, firstUnicode: null };
  const units = [...text];
  const firstUnicode = units.find((c) => !basic.includes(c) && !extension.includes(c)) ?? null;
  const costs = firstUnicode === null ? units.map((c) => (extension.includes(c) ? 2 : 1)) : units.map((c) => c.length);
  const [single, perPart] = firstUnicode === null ? [160, 153] : [70, 67];
  const total = costs.reduce((a, b) => a + b, 0);
  let segments = 1;
  if (total > single) {
    let used = 0;
    for (const cost of costs) {
      if (used + cost > perPart) {
        segments++;
        used = 0;
      }
      used += cost;
    }
  }
  return { characters: text.length, segments, unicode: firstUnicode !== null, firstUnicode };
}
