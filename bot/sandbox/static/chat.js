/* The sandbox's chat window: answers the stub `ww` of the framed sidebar and shows what it sends. */
(function () {
  "use strict";
  var context = JSON.parse(document.getElementById("context").textContent);
  var frame = document.getElementById("sidebar");
  var sidebarOrigin = new URL(frame.src).origin;
  var list = document.getElementById("messages");
  var single = context.entry === "single_chat_tools" || context.entry === "contact_profile";

  function add(who, build) {
    var item = document.createElement("li");
    item.className = who;
    var bubble = document.createElement("div");
    bubble.className = "bubble";
    build(bubble);
    item.appendChild(bubble);
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
    return bubble;
  }
  function text(node, value) { node.appendChild(document.createTextNode(value)); }
  function card(bubble, label, title, detail) {
    var box = document.createElement("span");
    box.className = "card";
    var head = document.createElement("b");
    text(head, label + " · " + (title || ""));
    box.appendChild(head);
    if (detail) { var small = document.createElement("span"); text(small, detail); box.appendChild(small); }
    bubble.appendChild(box);
  }
  function show(message) {
    var bubble = add("staff", function (b) {
      var kind = message.msgtype;
      var body = message[kind] || {};
      if (kind === "text") text(b, body.content);
      else if (kind === "image") card(b, "图片", "素材 " + body.mediaid);
      else if (kind === "news") card(b, "链接", body.title, body.desc || body.link);
      else if (kind === "miniprogram") card(b, "小程序", body.title, body.appid + " " + body.page);
      else card(b, kind, JSON.stringify(body));
    });
    var mark = document.createElement("span");
    mark.className = "sent-mark";
    text(mark, "已发送");
    bubble.appendChild(mark);
  }

  var answers = {
    register: function () { return { errMsg: "register:ok" }; },
    getContext: function () { return { errMsg: "getContext:ok", entry: context.entry }; },
    getCurExternalContact: function () {
      if (!single) throw { errMsg: "getCurExternalContact:fail without context of external contact" };
      return { errMsg: "getCurExternalContact:ok", userId: context.userId };
    },
    getCurExternalChat: function () {
      if (context.entry !== "group_chat_tools") throw { errMsg: "getCurExternalChat:fail without context of external contact" };
      return { errMsg: "getCurExternalChat:ok", chatId: context.chatId };
    },
    sendChatMessage: function (params) {
      show(params);
      return { errMsg: "sendChatMessage:ok" };
    },
    openEnterpriseChat: function (params) {
      // the SOP task page asks to open the chat it is about: say which, as the client would go there
      var who = (params && (params.chatId || [].concat(params.externalUserIds || []).join("、"))) || "";
      add("system", function (b) { text(b, "（打开聊天：" + who + "）"); });
      return { errMsg: "openEnterpriseChat:ok" };
    }
  };

  window.addEventListener("message", function (event) {
    if (event.source !== frame.contentWindow || event.origin !== sidebarOrigin) return;
    var data = event.data || {};
    if (!data.wwStubId || !answers[data.method]) return;
    var reply = { wwStubId: data.wwStubId, ok: true };
    try { reply.result = answers[data.method](data.params); }
    catch (failure) { reply.ok = false; reply.result = failure; }
    event.source.postMessage(reply, sidebarOrigin);
  });

  if (single) add("customer", function (b) { text(b, "你好，我买的衣服尺码不合适，想退货，怎么操作？"); });
  else add("system", function (b) { text(b, "（客户群聊天）"); });
})();
