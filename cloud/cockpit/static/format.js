// Numbers, instants and ages as the screen shows them.

// One number format per number of digits: toLocaleString would build a new one for every cell it formats.
const formats = new Map();
function numberFormat(digits) {
  if (!formats.has(digits)) formats.set(digits, new Intl.NumberFormat("en-GB", { maximumFractionDigits: digits, minimumFractionDigits: digits }));
  return formats.get(digits);
}

export const fmt = {
  n: (v, digits = 0) => (v === null || v === undefined ? "–" : numberFormat(digits).format(Number(v))),
  time: (iso) => (iso ? new Date(iso).toISOString().replace("T", " ").slice(0, 19) + " UTC" : "–"),
  age: (iso) => {
    if (!iso) return "never";
    const s = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
    if (s < 90) return `${Math.round(s)} s ago`;
    if (s < 5400) return `${Math.round(s / 60)} min ago`;
    if (s < 172800) return `${Math.round(s / 3600)} h ago`;
    return `${Math.round(s / 86400)} d ago`;
  },
};
