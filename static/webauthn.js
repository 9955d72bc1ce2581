// WebAuthn in the browser: registering a passkey or security key on the
// account page, signing in with a passkey, and a key as the second step.
// Served as a file, so the Content-Security-Policy needs no 'unsafe-inline';
// without JavaScript (or WebAuthn) the buttons stay hidden and the password
// and code forms work as they are.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !window.fetch) return;

  function fromBase64url(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // The server's options (base64url strings) as the browser takes them.
  function creationOptions(options) {
    var key = options.publicKey;
    key.challenge = fromBase64url(key.challenge);
    key.user.id = fromBase64url(key.user.id);
    (key.excludeCredentials || []).forEach(function (c) { c.id = fromBase64url(c.id); });
    return { publicKey: key };
  }

  function requestOptions(options) {
    var key = options.publicKey;
    key.challenge = fromBase64url(key.challenge);
    (key.allowCredentials || []).forEach(function (c) { c.id = fromBase64url(c.id); });
    return { publicKey: key };
  }

  // The browser's answer as JSON the server reads.
  function credentialJson(credential) {
    var response = credential.response;
    var json = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      extensions: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      response: { clientDataJSON: toBase64url(response.clientDataJSON) }
    };
    if (response.attestationObject) {
      json.response.attestationObject = toBase64url(response.attestationObject);
      if (response.getTransports) json.response.transports = response.getTransports();
    } else {
      json.response.authenticatorData = toBase64url(response.authenticatorData);
      json.response.signature = toBase64url(response.signature);
      if (response.userHandle) json.response.userHandle = toBase64url(response.userHandle);
    }
    return JSON.stringify(json);
  }

  function post(url, fields) {
    var body = new URLSearchParams();
    Object.keys(fields).forEach(function (name) { body.append(name, fields[name]); });
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json" },
      body: body
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) throw new Error(data.error || "The server refused this.");
        return data;
      });
    });
  }

  function say(status, text) {
    if (status) status.textContent = text;
  }

  // Passkey autofill: the login page carries a sealed challenge; a browser
  // that can offers the passkeys in the username field's suggestions.
  var autofillAbort = null;

  function autofill(form) {
    if (!PublicKeyCredential.isConditionalMediationAvailable) return;
    var options = JSON.parse(form.getAttribute("data-options"));
    PublicKeyCredential.isConditionalMediationAvailable()
      .then(function (available) {
        if (!available) return;
        autofillAbort = new AbortController();
        return navigator.credentials
          .get({ publicKey: requestOptions(options).publicKey, mediation: "conditional", signal: autofillAbort.signal })
          .then(function (credential) {
            addField(form, "ceremony", form.getAttribute("data-autofill"));
            addField(form, "credential", credentialJson(credential));
            form.method = "post";
            form.action = "/login/passkey/finish";
            form.submit();
          });
      })
      .catch(function () { /* dismissed or aborted: the button and the password stay */ });
  }

  // One ceremony: options from `start` (JSON), the authenticator, then the
  // answer posted to `finish` with the rest of the form.
  function ceremony(button) {
    var form = button.form;
    var status = document.getElementById(button.getAttribute("data-status") || "webauthn-status");
    var fields = {};
    new FormData(form).forEach(function (value, name) { fields[name] = value; });
    var creating = button.getAttribute("data-ceremony") === "register";
    // One request at a time: a pending autofill request gives way.
    if (autofillAbort) { autofillAbort.abort(); autofillAbort = null; }
    button.disabled = true;
    // The words come from the page, in its language.
    var words = function (name, fallback) { return (status && status.getAttribute("data-" + name)) || fallback; };
    say(status, creating ? words("creating", "Follow your browser's prompt to create the key…") : words("prompt", "Follow your browser's prompt…"));
    post(button.getAttribute("data-start"), fields)
      .then(function (challenge) {
        // The server wants something first (a recent sign-in, say).
        if (challenge.location) { window.location.assign(challenge.location); return; }
        var call = creating
          ? navigator.credentials.create(creationOptions(challenge.options))
          : navigator.credentials.get(requestOptions(challenge.options));
        return call.then(function (credential) {
          // The answer goes as an ordinary form post: what follows is a page
          // (or the way back to the application), as after any sign-in form.
          addField(form, "ceremony", challenge.ceremony);
          addField(form, "credential", credentialJson(credential));
          form.method = "post";
          form.action = button.getAttribute("data-finish");
          form.submit();
        });
      })
      .catch(function (error) {
        button.disabled = false;
        var cancelled = error && (error.name === "NotAllowedError" || error.name === "AbortError");
        say(status, cancelled ? words("cancelled", "Cancelled. You can try again.") : (error.message || words("failed", "That did not work. Try again.")));
      });
  }

  function addField(form, name, value) {
    var input = form.querySelector("input[name='" + name + "']");
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      form.appendChild(input);
    }
    input.value = value;
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-webauthn]"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function (event) {
      event.preventDefault();
      ceremony(button);
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-webauthn-only]"), function (element) {
    element.hidden = false;
  });
  Array.prototype.forEach.call(document.querySelectorAll("form[data-autofill]"), autofill);
})();
