// CSV export built in the browser from what the page shows (RFC 4180 quoting; formulas neutralised).

function cell(v) {
  let s = v === null || v === undefined ? "" : String(v);
  if (/^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = "'" + s; // spreadsheet formula injection
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** sections: [{title, header: [...], rows: [[...]]}] → one CSV text (a blank line between sections). */
export function toCsv(sections) {
  const out = [];
  sections.forEach((sec, i) => {
    if (i) out.push("");
    if (sec.title) out.push(cell(sec.title));
    out.push(sec.header.map(cell).join(","));
    for (const r of sec.rows) out.push(r.map(cell).join(","));
  });
  return out.join("\r\n") + "\r\n";
}

export function download(filename, text) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
