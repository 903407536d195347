/* The chat-toolbar sidebar. Plain JavaScript, no build step; the official @wecom/jssdk (or a
   stub `ww` already on the page, in tests and the demo) talks to the WeCom client. Every value
   from the server is put in the page with textContent, never as HTML. */
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const boot = JSON.parse($("boot").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const root = boot.root || ""; // "../" on an SOP task's page, /sidebar/sop/<task>
  const API_LIST = ["getContext", "getCurExternalContact", "getCurExternalChat", "sendChatMessage",
    "openEnterpriseChat"];
  let ww = null;
  let target = null; // {external_userid} or {chat_id}: who the chat is with
  let home = null; // categories, recent, most used, all
  let view = { chip: "all", query: "" };
  let busy = false;
  let searchSeq = 0;

  // -- plumbing --------------------------------------------------------------------------
  const STATUS = { 401: "登录已过期，请重新打开侧边栏", 403: "没有权限", 404: "内容不存在",
    422: "内容不符合要求", 502: "企业微信暂时无法访问，请稍后重试", 503: "服务繁忙，请稍后重试" };

  async function api(path, options = {}) {
    const init = { method: options.method || "GET", credentials: "same-origin",
      headers: { Accept: "application/json" } };
    if (init.method !== "GET") init.headers["X-CSRF-Token"] = csrf;
    if (options.body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }
    let response;
    try {
      response = await fetch(root + path, init);
    } catch (_) {
      throw failure("网络连接失败，请检查网络后重试", 0);
    }
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw failure(data.error || STATUS[response.status] || "请求失败", response.status, data);
    return data;
  }

  function failure(message, status, data) {
    const error = new Error(message);
    error.status = status;
    error.data = data || {};
    return error;
  }

  function wwFailure(result) {
    const raw = (result && (result.errMsg || result.message)) || String(result);
    if (/no permission/.test(raw)) return failure("没有权限：请确认应用已开通客户联系权限、页面域名为可信域名，且您在应用可见范围内", -1);
    if (/without context/.test(raw)) return failure("请从客户聊天窗口的工具栏打开本页面", -1);
    if (/cancel/.test(raw)) return failure("已取消发送", -1);
    return failure("企业微信接口调用失败：" + raw, -1);
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function banner(message, retry) {
    $("banner-text").textContent = message;
    $("banner-retry").onclick = () => { $("banner").hidden = true; retry(); };
    $("banner").hidden = false;
  }

  function relogin() { location.replace(location.pathname); }

  function report(error, retry) {
    banner(error.message, error.status === 401 ? relogin : retry);
  }

  let toastTimer = 0;
  function toast(message) {
    $("toast").textContent = message;
    $("toast").hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { $("toast").hidden = true; }, 2500);
  }

  // -- the JS-SDK ------------------------------------------------------------------------
  function loadSdk() {
    if (window.ww) return Promise.resolve(window.ww); // a stub `ww` (tests, the demo) wins
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = boot.sdk;
      script.onload = () => (window.ww ? resolve(window.ww) : reject(failure("企业微信 JS-SDK 加载失败", 0)));
      script.onerror = () => reject(failure("企业微信 JS-SDK 加载失败，请检查网络后重试", 0));
      document.head.appendChild(script);
    });
  }

  const signatures = new Map();
  function sign(url) {
    if (!signatures.has(url)) {
      const pending = api("api/signature?url=" + encodeURIComponent(url));
      pending.catch(() => signatures.delete(url)); // a failed signature is asked for again
      signatures.set(url, pending);
    }
    return signatures.get(url);
  }

  function register() {
    const signFailed = (result) =>
      banner("签名校验失败（" + ((result && result.errMsg) || "未知原因") + "），请重试；仍失败请联系管理员检查可信域名。", start);
    ww.register({
      corpId: boot.corpId,
      agentId: boot.agentId,
      jsApiList: API_LIST,
      getConfigSignature: (url) => sign(url).then((s) => s.config),
      getAgentConfigSignature: (url) => sign(url).then((s) => s.agentConfig),
      onConfigFail: signFailed,
      onAgentConfigFail: signFailed,
    });
  }

  async function connect() {
    if (!ww) {
      ww = await loadSdk();
      register();
    }
    return ww;
  }

  async function wwCall(name, params) {
    try {
      return await ww[name](params);
    } catch (result) {
      throw wwFailure(result);
    }
  }

  // -- who the chat is with --------------------------------------------------------------
  async function start() {
    $("banner").hidden = true;
    try {
      await connect();
      const context = await wwCall("getContext");
      if (context.entry === "single_chat_tools" || context.entry === "contact_profile") {
        const { userId } = await wwCall("getCurExternalContact");
        showCustomer(await api("api/customers/" + encodeURIComponent(userId)));
        target = { external_userid: userId };
      } else if (context.entry === "group_chat_tools") {
        const { chatId } = await wwCall("getCurExternalChat");
        showGroup(await api("api/groups/" + encodeURIComponent(chatId)));
        target = { chat_id: chatId };
      } else {
        throw failure("请从客户聊天窗口的工具栏打开本页面", -1);
      }
      await Promise.all([loadLibrary(), sop.pending(target)]); // pending() reports its own errors
    } catch (error) {
      if (error.status === 403) refuse(error.message);
      else report(error, start);
    }
  }

  function refuse(message) {
    // not this member's customer or group: trying again can't change that, so no 重试 here
    const who = $("who");
    who.replaceChildren(el("p", "", message));
    who.className = "who refused";
    $("library").hidden = true;
    $("sop").hidden = true;
  }

  function facts(rows) {
    const list = el("dl");
    for (const [label, value] of rows) {
      list.append(el("dt", "", label));
      const cell = el("dd");
      if (value instanceof Node) cell.append(value);
      else cell.textContent = value || "—";
      list.append(cell);
    }
    return list;
  }

  function showCustomer(c) {
    const title = el("h1", "", c.remark || c.name);
    if (c.remark && c.remark !== c.name) title.append(el("small", "", c.name));
    if (c.corp_name) title.append(el("small", "", "@" + c.corp_name));
    const tags = el("span", "tags");
    for (const t of c.tags) tags.append(el("span", "tag", t.name));
    const who = $("who");
    who.className = "who";
    who.replaceChildren(title, facts([
      ["标签", c.tags.length ? tags : "—"],
      ["来源渠道", c.channel],
      ["添加时间", c.added_at],
      ["最近互动", c.last_activity && `${c.last_activity} · 共 ${c.messages} 条消息`],
      ["客户分层", c.segment && `${c.segment.name}（近 ${c.segment.window_days} 天 ${c.segment.orders} 单，¥${c.segment.spent}）`],
      ["描述", c.description],
    ]));
  }

  function showGroup(g) {
    const who = $("who");
    who.className = "who";
    who.replaceChildren(el("h1", "", g.name), facts([
      ["群主", g.owner + (g.is_owner ? "（我）" : "")],
      ["成员", `客户 ${g.customers} 人 · 员工 ${g.staff} 人`],
      ["创建时间", g.created_at],
      ["群公告", g.notice],
    ]));
  }

  // -- scripts ---------------------------------------------------------------------------
  async function loadLibrary() {
    const [scripts, catalogue] = await Promise.all([api("api/scripts/home"), api("api/products")]);
    home = scripts;
    renderChips();
    showList(view.chip === "recent" ? home.recent : view.chip === "most" ? home.most_used : home.scripts, "");
    renderProducts(catalogue.products);
    $("library").hidden = false;
  }

  function renderChips() {
    const chips = [["all", "全部"], ["recent", "最近使用"], ["most", "最常用"]]
      .concat(home.categories.map((c) => ["cat:" + c, c]));
    $("chips").replaceChildren(...chips.map(([key, label]) => {
      const chip = el("button", "chip" + (key === view.chip ? " active" : ""), label);
      chip.type = "button";
      chip.onclick = () => { view.chip = key; renderChips(); refreshList(); };
      return chip;
    }));
  }

  function refreshList() {
    if (!view.query && view.chip === "recent") return showList(home.recent, "");
    if (!view.query && view.chip === "most") return showList(home.most_used, "");
    search();
  }

  async function search() {
    const seq = ++searchSeq;
    const category = view.chip.startsWith("cat:") ? view.chip.slice(4) : "";
    const query = view.query;
    try {
      const data = await api("api/scripts?q=" + encodeURIComponent(query) + "&category=" + encodeURIComponent(category));
      if (seq === searchSeq) showList(data.scripts, query); // a slower, older answer is dropped
    } catch (error) {
      report(error, search);
    }
  }

  function emptyLibrary() {
    if (view.chip === "recent") return "还没有最近使用的话术";
    if (view.chip === "most") return "还没有常用的话术";
    if (home && home.admin) {
      return "还没有话术。给应用发送「话术 新增 分类 | 标题 | 内容」即可新增一条，" +
        "批量导入请用 scrm-bot scripts import。";
    }
    const who = home && home.admins && home.admins.length ? "管理员（" + home.admins.join("、") + "）" : "管理员";
    return "还没有您可用的话术。请联系" + who + "添加，添加后这里会直接显示。";
  }

  function showList(scripts, query) {
    const list = $("script-list");
    list.dataset.query = query;
    if (!scripts.length) {
      list.replaceChildren(el("li", "empty", query ? "没有找到相关话术" : emptyLibrary()));
      return;
    }
    list.replaceChildren(...scripts.map((s) => {
      const button = el("button", "script");
      button.type = "button";
      button.dataset.id = s.id;
      const title = el("span", "title", s.title);
      title.append(el("span", "cat", s.category));
      button.append(title, el("span", "preview", s.preview));
      for (const kind of s.attachments) button.append(el("span", "badge", kind));
      button.onclick = () => sendScript(s);
      const item = el("li");
      item.append(button);
      return item;
    }));
  }

  let debounce = 0;
  $("search").addEventListener("input", (event) => {
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      view.query = event.target.value.trim();
      if (view.query && (view.chip === "recent" || view.chip === "most")) { view.chip = "all"; renderChips(); }
      refreshList();
    }, 200);
  });

  async function sendAll(messages) {
    for (const message of messages) await wwCall("sendChatMessage", message);
  }

  async function sendScript(script) {
    if (busy) return;
    busy = true;
    try {
      const query = new URLSearchParams(target).toString();
      const data = await api(`api/scripts/${encodeURIComponent(script.id)}/messages?${query}`);
      await sendAll(data.messages);
      toast("已发送：" + script.title + (data.skipped ? `（${data.skipped} 个附件无法发送）` : ""));
      api(`api/scripts/${encodeURIComponent(script.id)}/sent`, { method: "POST" })
        .then(() => api("api/scripts/home"))
        .then((fresh) => { home = fresh; })
        .catch(() => {}); // counting a send is best effort: the message already went
    } catch (error) {
      if (error.status === 422) toast(blockedText(error));
      else report(error, () => sendScript(script));
    } finally {
      busy = false;
    }
  }

  function blockedText(error) {
    const hits = error.data.hits || [];
    const words = hits.map((h) => `「${h.text}」（${h.category}）`).join("、");
    const reasons = [...new Set(hits.map((h) => h.reason).filter(Boolean))].join("；");
    return "已拦截，未发送：含有禁止发送的词 " + words + (reasons ? "。原因：" + reasons : "") +
      "。如属误拦，请管理员把整句中的短语放行（发给应用「敏感词 放行 短语」）。";
  }

  // -- products --------------------------------------------------------------------------
  function renderProducts(products) {
    const list = $("product-list");
    if (!products.length) {
      list.replaceChildren(el("li", "empty", "暂无商品"));
      return;
    }
    list.replaceChildren(...products.map((p) => {
      const button = el("button", "product");
      button.type = "button";
      button.dataset.id = p.id;
      if (p.image) {
        const img = el("img");
        img.src = p.image;
        img.alt = "";
        img.loading = "lazy";
        button.append(img);
      } else {
        button.append(el("span", "noimg"));
      }
      const info = el("span", "info");
      info.append(el("span", "name", p.name));
      if (p.price) info.append(el("span", "price", "¥" + p.price));
      info.append(el("span", "badge", p.kind));
      button.append(info);
      button.onclick = () => sendProduct(p);
      const item = el("li");
      item.append(button);
      return item;
    }));
  }

  async function sendProduct(product) {
    if (busy) return;
    busy = true;
    try {
      const data = await api(`api/products/${encodeURIComponent(product.id)}/message`);
      await sendAll([data.message]);
      toast("已发送：" + product.name);
    } catch (error) {
      report(error, () => sendProduct(product));
    } finally {
      busy = false;
    }
  }

  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => {
      for (const other of document.querySelectorAll(".tab")) other.classList.toggle("active", other === tab);
      $("scripts").hidden = tab.dataset.panel !== "scripts";
      $("products").hidden = tab.dataset.panel !== "products";
    });
  }

  // -- free text -------------------------------------------------------------------------
  $("compose").addEventListener("submit", async (event) => {
    event.preventDefault();
    const box = $("free-text");
    const note = $("compose-note");
    const text = box.value.trim();
    if (!text || busy) return;
    busy = true;
    note.className = "note";
    note.textContent = "正在检查…";
    try {
      const data = await api("api/text/check", { method: "POST", body: { text } });
      await sendAll([data.message]);
      box.value = "";
      note.textContent = "";
      toast("已发送");
    } catch (error) {
      note.className = "note error";
      note.textContent = error.status === 422 ? blockedText(error) : error.message;
      if (error.status === 401) report(error, relogin);
    } finally {
      busy = false;
    }
  });

  function exclusive(work) {
    if (busy) return Promise.resolve();
    busy = true;
    return work().finally(() => { busy = false; });
  }

  // -- SOP tasks (sop.js): above the scripts in a chat; alone on a reminder card's page --
  const sop = window.SidebarSop({ api, el, facts, wwCall, toast, report, sendAll, blockedText,
    exclusive, connect });
  if (boot.task) sop.showTask(boot.task);
  else start();
})();
