// The bundle budget: the JavaScript a first visit downloads (the entry module of dist/index.html and
// every module it preloads), gzipped as a server would send it, must stay within BUDGET bytes.
// Usage: node scripts/check-bundle-size.mjs [dist]   (run after `npm run build`)
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET = 150 * 1024;
const dist = resolve(process.argv[2] ?? join(import.meta.dirname, "..", "dist"));

function attributes(tag) {
  const found = {};
  for (const [, name, ...values] of tag.matchAll(/([^\s=/<>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g)) {
    found[name.toLowerCase()] = values.find((value) => value !== undefined) ?? "";
  }
  return found;
}

function initialScripts(html) {
  const urls = [];
  for (const [tag] of html.matchAll(/<script\b[^>]*>/gi)) {
    const { type, src } = attributes(tag);
    if (type === "module" && src) urls.push(src);
  }
  for (const [tag] of html.matchAll(/<link\b[^>]*>/gi)) {
    const { rel, href } = attributes(tag);
    if (href && (rel ?? "").split(/\s+/).includes("modulepreload")) urls.push(href);
  }
  return [...new Set(urls)];
}

function fileOf(url) {
  if (/^[a-z][a-z0-9+.-]*:|^\/\//i.test(url)) {
    throw new Error(`${url} is not part of the build; the budget only measures files in ${dist}`);
  }
  return join(dist, url.split(/[?#]/)[0]);
}

const kib = (bytes) => `${(bytes / 1024).toFixed(1).padStart(7)} KiB`;

let html;
try {
  html = readFileSync(join(dist, "index.html"), "utf8");
} catch {
  console.error(`No ${join(dist, "index.html")}: build the web app first (make web).`);
  process.exit(1);
}
const urls = initialScripts(html);
if (urls.length === 0) {
  console.error(`${join(dist, "index.html")} loads no module script: nothing to measure.`);
  process.exit(1);
}

let total = 0;
console.log("Initial JavaScript, gzipped:");
for (const url of urls) {
  const size = gzipSync(readFileSync(fileOf(url))).length;
  total += size;
  console.log(`${kib(size)}  ${url}`);
}
console.log(`${kib(total)}  total (budget ${kib(BUDGET).trim()})`);
if (total > BUDGET) {
  console.error(`The initial JavaScript is ${kib(total - BUDGET).trim()} over budget: load more of it lazily.`);
  process.exit(1);
}
