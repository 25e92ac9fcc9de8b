// Cases for src/shipline/scan/rules/javascript.yml, checked with `semgrep --test`.
const cp = require('child_process');
const https = require('https');

function run(input, ref, el) {
  // ruleid: shipline.javascript.eval
  eval(input);
  // ruleid: shipline.javascript.eval
  const f = new Function('a', input);
  // ruleid: shipline.javascript.eval
  setTimeout("refresh(" + input + ")", 100);
  // ok: shipline.javascript.eval
  eval("2 + 2");
  // ok: shipline.javascript.eval
  setTimeout(() => refresh(input), 100);
  // ok: shipline.javascript.eval
  setTimeout(refresh, 100);

  // ruleid: shipline.javascript.child-process-injection
  cp.exec("git log " + ref);
  // ruleid: shipline.javascript.child-process-injection
  cp.execSync(`rm -rf ${ref}`);
  // ok: shipline.javascript.child-process-injection
  cp.execFile("git", ["log", ref]);
  // ok: shipline.javascript.child-process-injection
  cp.exec("git status");

  // ruleid: shipline.javascript.inner-html
  el.innerHTML = input;
  // ruleid: shipline.javascript.inner-html
  document.write("<p>" + input + "</p>");
  // ok: shipline.javascript.inner-html
  el.textContent = input;
  // ok: shipline.javascript.inner-html
  el.innerHTML = "<p>static</p>";

  // ruleid: shipline.javascript.tls-verify-disabled
  https.request({ host: "example.org", rejectUnauthorized: false });
  // ruleid: shipline.javascript.tls-verify-disabled
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
  // ok: shipline.javascript.tls-verify-disabled
  https.request({ host: "example.org", rejectUnauthorized: true });
  return f;
}
