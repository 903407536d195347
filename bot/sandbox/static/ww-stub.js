/* A stand-in for @wecom/jssdk's `ww` inside the sandbox's simulated chat window (/sandbox/chat).
   The framed sidebar loads this before its own script; every call is forwarded to the chat
   window with postMessage and answered there, the way the WeCom client answers the real SDK. */
(function () {
  "use strict";
  if (window.parent === window) return; // not framed by the chat window: leave ww to the SDK
  var origin = new URL(document.currentScript.src).origin; // the sandbox, which frames us
  var pending = {};
  var seq = 0;
  var calls = (window.__wwCalls = []);

  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || event.origin !== origin) return;
    var data = event.data || {};
    var waiting = pending[data.wwStubId];
    if (!waiting) return;
    delete pending[data.wwStubId];
    (data.ok ? waiting.resolve : waiting.reject)(data.result);
  });

  function ask(method, params) {
    calls.push({ method: method, params: params || null });
    return new Promise(function (resolve, reject) {
      seq += 1;
      pending[seq] = { resolve: resolve, reject: reject };
      window.parent.postMessage({ wwStubId: seq, method: method, params: params || null }, origin);
    });
  }

  window.ww = {
    SDK_VERSION: "sandbox-stub",
    register: function (options) {
      // sign as the real SDK would, so the demo exercises the server's signature endpoint
      var url = location.href.split("#")[0];
      Promise.all([options.getConfigSignature(url), options.getAgentConfigSignature(url)])
        .then(function (signatures) {
          return ask("register", { url: url, config: signatures[0], agentConfig: signatures[1] });
        })
        .catch(function (error) {
          if (options.onConfigFail) options.onConfigFail({ errMsg: "config:fail " + error });
        });
    },
    getContext: function () { return ask("getContext"); },
    getCurExternalContact: function () { return ask("getCurExternalContact"); },
    getCurExternalChat: function () { return ask("getCurExternalChat"); },
    sendChatMessage: function (params) { return ask("sendChatMessage", params); },
    openEnterpriseChat: function (params) { return ask("openEnterpriseChat", params); }
  };
})();
