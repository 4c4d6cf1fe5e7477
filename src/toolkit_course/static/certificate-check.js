/* The page "Check a certificate" (book/verify-certificate.md): checks a certificate PDF in the browser.
 *
 * It reads the certificate exactly as src/toolkit_course/grading/certificates/verify.py does, and checks
 * the two Ed25519 signatures with the browser's own WebCrypto against the public keys this book publishes
 * (verification-register.js, written by `toolkit-course publish-register`) or a key file the reader picks.
 * Then, like public_register.check_register, it looks the certificate up in the published register:
 * revoked, another file under this ID, or not listed. Nothing is fetched and nothing leaves the computer;
 * the register is a script that sets a global, so the page also works from file://.
 * Everything shown from a certificate is set with textContent: a certificate's text is never HTML.
 */
(function () {
  "use strict";

  var FORMAT = "toolkit-course-certificate/1";
  var BLANK_SIGNATURE = new Array(129).join("0");
  var PATTERNS = {
    payload: /<tkc:payload>([A-Za-z0-9+\/=]*)<\/tkc:payload>/g,
    payloadSignature: /<tkc:payloadSignature>([0-9a-f]{128})<\/tkc:payloadSignature>/g,
    documentSignature: /<tkc:documentSignature>([0-9a-f]{128})<\/tkc:documentSignature>/g
  };
  var STRICT_BASE64 = /^(?:[A-Za-z0-9+\/]{4})*(?:[A-Za-z0-9+\/]{2}==|[A-Za-z0-9+\/]{3}=)?$/;
  var SPKI_PREFIX = "302a300506032b6570032100"; // DER header of an Ed25519 SubjectPublicKeyInfo
  var DAMAGED = "the signed certificate details in the file are damaged";
  var HEADINGS = { "valid": "Valid", "not-valid": "Not valid", "revoked": "Revoked",
                   "cannot-check": "Cannot check", "unknown-key": "Signed with a key this book does not publish" };
  var COLOURS = { "valid": "#009E73", "not-valid": "#D55E00", "revoked": "#CC79A7", "cannot-check": "#999999",
                  "unknown-key": "#E69F00" };

  var register = window.TOOLKIT_CERTIFICATE_REGISTER || { keys: [], certificates: [] };
  var chosenKey = null; // {key, fingerprint, name} from a key file the reader picked

  function latin1(bytes) {
    var parts = [];
    for (var i = 0; i < bytes.length; i += 8192) {
      parts.push(String.fromCharCode.apply(null, bytes.subarray(i, i + 8192)));
    }
    return parts.join("");
  }

  function ascii(text) {
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) { bytes[i] = text.charCodeAt(i) & 0xff; }
    return bytes;
  }

  function concat(a, b) {
    var out = new Uint8Array(a.length + b.length);
    out.set(a, 0);
    out.set(b, a.length);
    return out;
  }

  function hex(bytes) {
    return Array.prototype.map.call(new Uint8Array(bytes), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function fromHex(text) {
    var bytes = new Uint8Array(text.length / 2);
    for (var i = 0; i < bytes.length; i++) { bytes[i] = parseInt(text.substr(i * 2, 2), 16); }
    return bytes;
  }

  function fromBase64(text) {
    if (!STRICT_BASE64.test(text)) { return null; }
    return ascii(atob(text));
  }

  function sha256(bytes) {
    return crypto.subtle.digest("SHA-256", bytes).then(function (digest) { return new Uint8Array(digest); });
  }

  // keys.fingerprint: SHA-256 of the raw 32-byte key, first 32 hex digits, in groups of four.
  function fingerprint(raw) {
    return sha256(raw).then(function (digest) {
      return hex(digest).slice(0, 32).match(/.{4}/g).join(":");
    });
  }

  function importRaw(raw) {
    return crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
  }

  function only(pattern, text) {
    pattern.lastIndex = 0;
    var found = [], match;
    while ((match = pattern.exec(text)) !== null) { found.push(match); }
    return found.length === 1 ? found[0] : null;
  }

  function verifySignature(key, signatureHex, message) {
    return crypto.subtle.verify({ name: "Ed25519" }, key, fromHex(signatureHex), message);
  }

  function moduleLabel(module) {
    return "Module " + String(module && module.slug || "").slice(0, 2) + ": " + String(module && module.title || "?");
  }

  function describe(payload) {
    var modules = Array.isArray(payload.modules) ? payload.modules : [];
    var details = [["Name", payload.name]];
    if (payload.scope === "course") {
      details.push(["Completed", "the course " + payload.course]);
    } else {
      details.push(["Completed", modules.map(moduleLabel).join("; ")]);
      details.push(["Course", payload.course]);
    }
    var issuer = String(payload.facilitator) + (payload.organisation ? ", " + payload.organisation : "");
    details.push(["Issued", "on " + payload.date + " by " + issuer]);
    if (typeof payload.hours === "number") { details.push(["Training", payload.hours + " hours"]); }
    if (payload.venue) { details.push(["Place", payload.venue]); }
    if (payload.dates) { details.push(["Dates", payload.dates]); }
    if (payload.signatory && payload.signatory.name) {
      details.push(["Signed by", payload.signatory.name + (payload.signatory.title ? ", " + payload.signatory.title : "")]);
    }
    details.push(["Certificate ID", payload.certificate_id]);
    details.push(["Key fingerprint", payload.key_fingerprint]);
    return details.map(function (pair) { return [pair[0], String(pair[1])]; });
  }

  function oneLine(payload) {
    return describe(payload).map(function (pair) { return pair[0] + ": " + pair[1]; }).join("; ");
  }

  function verdict(status, reason, payload) {
    return { status: status, reason: reason, payload: payload || null };
  }

  // The published keys, each imported once and known by the fingerprint computed here, not the one written.
  var publishedKeys = null;
  function loadPublishedKeys() {
    if (publishedKeys) { return publishedKeys; }
    publishedKeys = Promise.all((register.keys || []).map(function (entry) {
      var raw = fromBase64(String(entry.public_key || ""));
      if (!raw || raw.length !== 32) { return null; }
      return Promise.all([importRaw(raw), fingerprint(raw)]).then(function (both) {
        return { key: both[0], fingerprint: both[1] };
      });
    })).then(function (keys) { return keys.filter(Boolean); });
    return publishedKeys;
  }

  // The same steps, in the same order, as verify.verify_bytes, then public_register.check_register.
  function check(bytes) {
    var text = latin1(bytes);
    if (text.slice(0, 5) !== "%PDF-") { return Promise.resolve(verdict("not-valid", "this is not a PDF file")); }
    if (text.slice(-1024).indexOf("%%EOF") < 0) {
      return Promise.resolve(verdict("not-valid", "the file is incomplete: it was cut short or damaged"));
    }
    var payloadMatch = only(PATTERNS.payload, text);
    var payloadSignature = only(PATTERNS.payloadSignature, text);
    var documentSignature = only(PATTERNS.documentSignature, text);
    if (!payloadMatch || !payloadSignature || !documentSignature) {
      return Promise.resolve(verdict("not-valid", "no single set of signed certificate details was found in the " +
        "file (it is damaged, was altered, or was not issued with this course's tools)"));
    }
    var payloadBytes = fromBase64(payloadMatch[1]);
    var payload = null;
    try {
      payload = payloadBytes && JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payloadBytes));
    } catch (error) {
      payload = null;
    }
    if (!payload || typeof payload !== "object" || Array.isArray(payload) || payload.format !== FORMAT) {
      return Promise.resolve(verdict("not-valid", DAMAGED));
    }
    return loadPublishedKeys().then(function (keys) {
      var named = keys.filter(function (k) { return k.fingerprint === payload.key_fingerprint; })[0];
      var key = chosenKey || named;
      if (!key) {
        if (!keys.length) {
          return verdict("cannot-check", "this book publishes no public key yet; pick the issuer's public key " +
            "file (it ends in .pub.pem) under \u201cUse a public key file\u201d, then pick the certificate again");
        }
        return verdict("not-valid", "it was not signed with a key this book publishes (the certificate names key " +
          payload.key_fingerprint + "; the book publishes " + keys.map(function (k) { return k.fingerprint; })
          .join(", ") + ")", payload);
      }
      var message = concat(ascii(FORMAT + " payload\n"), payloadBytes);
      return verifySignature(key.key, payloadSignature[1], message).then(function (good) {
        if (good && payload.key_fingerprint !== key.fingerprint) {
          // The page shows the fingerprint the certificate names: it must be the key that signed it.
          return verdict("not-valid", "it was not signed with the key it names (the certificate names key " +
            payload.key_fingerprint + "; it was signed with key " + key.fingerprint + ")");
        }
        if (!good) {
          if (payload.key_fingerprint !== key.fingerprint) {
            return verdict("not-valid", "it was not signed with this public key (the certificate names key " +
              payload.key_fingerprint + "; the key used is " + key.fingerprint + ")", payload);
          }
          return verdict("not-valid", "the signature does not match the certificate details: the name, course, " +
            "modules, date or certificate ID were changed after signing, or another key signed it", payload);
        }
        var start = documentSignature.index + "<tkc:documentSignature>".length;
        var blanked = new Uint8Array(bytes);
        blanked.set(ascii(BLANK_SIGNATURE), start);
        return sha256(blanked).then(function (digest) {
          return verifySignature(key.key, documentSignature[1], concat(ascii(FORMAT + " document\n"), digest));
        }).then(function (whole) {
          if (!whole) {
            return verdict("not-valid", "the PDF was changed after it was signed, so what it shows may not match " +
              "its signed details; the signed details are: " + oneLine(payload), payload);
          }
          return sha256(bytes).then(function (digest) {
            return unlessPublished(key, keys, checkRegister(payload, hex(digest)));
          });
        });
      });
    });
  }

  // A key file the reader picked proves only that whoever made that file signed the certificate: anyone can
  // make a key. So a key this book does not publish never gives "Valid"; the page says whose key it cannot vouch for.
  function unlessPublished(key, published, outcome) {
    var isPublished = published.some(function (k) { return k.fingerprint === key.fingerprint; });
    if (isPublished || outcome.status !== "valid") { return outcome; }
    return verdict("unknown-key", "the signatures are correct for the key in " + key.name + " (fingerprint " +
      key.fingerprint + "), and nothing was changed after signing. But this book does not publish that key, so " +
      "this page cannot tell who it belongs to: anyone can make a key and sign a certificate with it. Trust this " +
      "only if the issuer gave you that fingerprint themselves, by a way you trust (not with the certificate)",
      outcome.payload);
  }

  function checkRegister(payload, fileHash) {
    var entry = (register.certificates || []).filter(function (e) {
      return e.certificate_id === payload.certificate_id;
    })[0];
    if (!entry) {
      return verdict("valid", "the signatures are correct. Note: this certificate is not listed in this book's " +
        "register, so the page cannot tell whether it was withdrawn; ask the issuer if in doubt", payload);
    }
    if (entry.sha256 !== fileHash) {
      return verdict("not-valid", "the register lists another file under this certificate ID, so this file is " +
        "not the one that was issued", payload);
    }
    if (entry.revoked) {
      return verdict("revoked", "the issuer withdrew this certificate. Reason: " +
        (entry.reason ? String(entry.reason).replace(/[.\s]+$/, "") : "no reason given"), payload);
    }
    return verdict("valid", "the signatures are correct, nothing was changed after signing, and the register " +
      "lists this certificate, issued on " + entry.issued + ", as not withdrawn", payload);
  }

  // ------------------------------------------------------------------ the page

  function element(tag, text) {
    var node = document.createElement(tag);
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function show(result, outcome, fileName) {
    result.textContent = "";
    result.setAttribute("data-tc-cc-status", outcome.status);
    result.style.borderLeftColor = COLOURS[outcome.status];
    var heading = element("p");
    heading.appendChild(element("strong", HEADINGS[outcome.status]));
    heading.setAttribute("data-tc-cc-verdict", "");
    heading.style.fontSize = "1.4em";
    result.appendChild(heading);
    if (fileName) { result.appendChild(element("p", "File: " + fileName)); }
    result.appendChild(element("p", outcome.reason.charAt(0).toUpperCase() + outcome.reason.slice(1) + "."));
    if (outcome.payload && outcome.status !== "not-valid") {
      var list = element("dl");
      describe(outcome.payload).forEach(function (pair) {
        list.appendChild(element("dt", pair[0]));
        list.appendChild(element("dd", pair[1]));
      });
      result.appendChild(list);
      if (outcome.status === "valid") {
        result.appendChild(element("p", "Check that the name and modules above are the ones the PDF shows."));
      }
    }
  }

  function readFile(file) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { resolve(new Uint8Array(reader.result)); };
      reader.onerror = function () { reject(reader.error); };
      reader.readAsArrayBuffer(file);
    });
  }

  function cryptoProblem() {
    if (!window.crypto || !window.crypto.subtle) {
      return Promise.resolve("this browser does not allow signature checks on this page. Open the book from " +
        "the files on your computer, or from an address that starts with https");
    }
    // A throw-away key: does this browser know Ed25519?
    return importRaw(new Uint8Array(32)).then(function () { return null; }, function () {
      return "this browser cannot check Ed25519 signatures. Use an up-to-date browser";
    });
  }

  function checkFile(result, file) {
    result.textContent = "Checking " + file.name + "\u2026";
    result.removeAttribute("data-tc-cc-status");
    return cryptoProblem().then(function (problem) {
      if (problem) { return verdict("cannot-check", problem); }
      return readFile(file).then(check);
    }).then(function (outcome) {
      show(result, outcome, file.name);
    }, function (error) {
      show(result, verdict("cannot-check", "the file could not be read (" + String(error && error.message) + ")"),
        file.name);
    });
  }

  function readKeyFile(file, note) {
    return readFile(file).then(function (bytes) {
      var text = latin1(bytes);
      var body = /-----BEGIN PUBLIC KEY-----([\s\S]*?)-----END PUBLIC KEY-----/.exec(text);
      var der = body && fromBase64(body[1].replace(/\s+/g, ""));
      if (!der || der.length !== 44 || hex(der.subarray(0, 12)) !== SPKI_PREFIX) {
        chosenKey = null;
        note.textContent = file.name + " is not an Ed25519 public key file; the book's published keys are used.";
        return;
      }
      var raw = der.subarray(12);
      return Promise.all([importRaw(raw), fingerprint(raw)]).then(function (both) {
        chosenKey = { key: both[0], fingerprint: both[1], name: file.name };
        note.textContent = "Using the public key in " + file.name + " (fingerprint " + both[1] + ").";
      });
    }).catch(function () {
      chosenKey = null;
      note.textContent = "This browser could not use " + file.name + "; the book's published keys are used.";
    });
  }

  function start(section) {
    var input = section.querySelector("[data-tc-cc-file]");
    var keyInput = section.querySelector("[data-tc-cc-key]");
    var drop = section.querySelector("[data-tc-cc-drop]");
    var result = section.querySelector("[data-tc-cc-result]");
    var note = section.querySelector("[data-tc-cc-keys]");
    var keys = register.keys || [], listed = register.certificates || [];
    note.textContent = keys.length
      ? "This book publishes " + keys.length + " public key(s) (fingerprints: " +
        keys.map(function (k) { return String(k.fingerprint); }).join(", ") + ") and a register of " +
        listed.length + " certificate(s)."
      : "This book publishes no public key yet: pick the issuer's public key file to check a certificate.";
    var lastFile = null;
    function checkOne(file) {
      lastFile = file;
      return checkFile(result, file);
    }
    input.addEventListener("change", function () {
      if (input.files && input.files[0]) {
        checkOne(input.files[0]);
        input.value = ""; // so that picking the same file again checks it again
      }
    });
    keyInput.addEventListener("change", function () {
      if (keyInput.files && keyInput.files[0]) {
        // With a new key, the certificate already picked is checked again.
        readKeyFile(keyInput.files[0], note).then(function () { if (lastFile) { checkOne(lastFile); } });
        keyInput.value = "";
      }
    });
    // A file dropped anywhere on the page is checked, rather than opened by the browser in place of the page.
    ["dragenter", "dragover"].forEach(function (name) {
      document.addEventListener(name, function (event) { event.preventDefault(); });
    });
    document.addEventListener("drop", function (event) {
      event.preventDefault();
      var files = event.dataTransfer && event.dataTransfer.files;
      if (files && files[0]) { drop.focus(); checkOne(files[0]); }
    });
    section.setAttribute("data-tc-cc-ready", "");
  }

  function init() {
    var section = document.querySelector(".tc-certificate-check");
    if (section) { start(section); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
