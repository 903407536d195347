/* SOP tasks in the sidebar: the member's open reminders for the current chat ("待发送 SOP"),
   and the page a reminder card links to (/sidebar/sop/<task>), opened outside any chat.
   Loaded before sidebar.js, which hands over its plumbing; every value from the server is put
   in the page with textContent, never as HTML. */
(() => {
  "use strict";
  const EVERYONE = "*"; // a calendar SOP's target: all the member's customers
  const MASS_HINT = "请在企业微信「客户群发」中确认发送";

  window.SidebarSop = (kit) => {
    const { api, el, facts, wwCall, toast, report, sendAll, blockedText, exclusive, connect } = kit;
    const $ = (id) => document.getElementById(id);
    const url = (task) => "api/sop/tasks/" + encodeURIComponent(task.id);
    const sendable = (task) => task.delivery === "reminder" && task.messages.length > 0;

    function hint(task) {
      if (task.delivery === "mass") return MASS_HINT;
      if (task.blocked) return task.blocked + "，请联系管理员修改该 SOP";
      if (!task.messages.length) return "内容暂时无法在侧边栏发送，请联系管理员检查附件";
      if (task.target === EVERYONE) return "发给您的客户：可在每位客户的聊天中发送，发完后点「完成」";
      return "";
    }

    function button(label, className, onclick) {
      const node = el("button", className, label);
      node.type = "button";
      node.onclick = onclick;
      return node;
    }

    // -- inside the chat toolbar ---------------------------------------------------------
    async function pending(target) {
      const box = $("sop");
      try {
        const data = await api("api/sop/tasks?" + new URLSearchParams(target).toString());
        showPending(data.tasks);
      } catch (error) {
        // the scripts still work without it: say so here rather than in the banner
        box.replaceChildren(el("h2", "", "待发送 SOP"), el("p", "note error", error.message),
          button("重试", "button", () => pending(target)));
        box.hidden = false;
      }
    }

    function showPending(tasks) {
      const box = $("sop");
      const list = el("ul", "list");
      for (const task of tasks) list.append(pendingItem(task));
      box.replaceChildren(el("h2", "", "待发送 SOP"), list);
      box.hidden = tasks.length === 0;
    }

    function pendingItem(task) {
      const item = el("li", "sop-item");
      item.dataset.id = task.id;
      const title = el("span", "title", task.rule_name);
      title.append(el("span", "cat", `第 ${task.step} 步`));
      item.append(title);
      if (task.text) item.append(el("span", "preview", task.text));
      for (const kind of task.attachments) item.append(el("span", "badge", kind));
      if (hint(task)) item.append(el("p", "note", hint(task)));
      const actions = el("div", "actions");
      if (sendable(task)) {
        // a reminder for all customers is sent in several chats: only 完成 ends it
        const once = task.target !== EVERYONE;
        actions.append(button("发送", "button", () => send(task, item, once)));
        if (!once) actions.append(button("完成", "button plain", () => finish(task, item, "已完成：")));
      } else {
        actions.append(button("标记已完成", "button plain", () => finish(task, item, "已完成：")));
      }
      item.append(actions);
      return item;
    }

    function send(task, item, thenDone) {
      return exclusive(async () => {
        try {
          await sendAll(task.messages); // one failure stops the rest, and nothing is marked
        } catch (error) {
          if (error.status === 422) toast(blockedText(error));
          else report(error, () => send(task, item, thenDone));
          return;
        }
        const skipped = task.skipped ? `（${task.skipped} 个附件无法发送）` : "";
        if (thenDone) await finish(task, item, "已发送：", skipped);
        else toast("已发送：" + task.rule_name + skipped);
      });
    }

    async function finish(task, item, done, extra = "") {
      try {
        await api(url(task) + "/done", { method: "POST" });
      } catch (error) {
        report(error, () => finish(task, item, done, extra));
        return;
      }
      const list = item.parentNode;
      item.remove();
      if (list && !list.children.length) $("sop").hidden = true;
      toast(done + task.rule_name + extra);
    }

    // -- the page a reminder card opens --------------------------------------------------
    async function showTask(id) {
      $("who").hidden = true;
      const box = $("task");
      box.hidden = false;
      box.replaceChildren(el("p", "muted", "正在读取 SOP 任务…"));
      let task;
      try {
        task = await api("api/sop/tasks/" + encodeURIComponent(id));
      } catch (error) {
        if (error.status === 403 || error.status === 404) {
          box.className = "task refused";
          box.replaceChildren(el("p", "", error.message));
        } else {
          report(error, () => showTask(id));
        }
        return;
      }
      renderTask(task);
      connect().catch(() => {}); // only 打开聊天 needs the SDK; a failure shows when tapped
    }

    function renderTask(task) {
      const box = $("task");
      box.className = "task";
      const group = task.kind === "group";
      const name = task.target === EVERYONE ? "您的客户（按 SOP 受众）" : task.target_name || task.target;
      const rows = [
        ["步骤", `第 ${task.step} 步`],
        [group ? "客户群" : "客户", name],
        ["方式", task.delivery === "mass" ? "群发任务" : "提醒我发送"],
        ["提醒时间", task.sent_at],
        ["附件", task.attachments.join("、")],
        ["状态", task.status === "done" ? "已完成" : "待完成"],
      ];
      box.replaceChildren(el("h1", "", "SOP 提醒：" + task.rule_name), facts(rows));
      if (task.text) box.append(el("p", "sop-text", task.text));
      if (task.status === "done") return;
      if (hint(task)) box.append(el("p", "note", hint(task)));
      const actions = el("div", "actions");
      if (task.delivery === "reminder" && task.target !== EVERYONE) {
        actions.append(button("打开聊天", "button", () => openChat(task)));
      }
      actions.append(button("标记已完成", "button plain", () => markDone(task)));
      box.append(actions);
    }

    async function openChat(task) {
      const params = task.kind === "group"
        ? { chatId: task.target }
        : { externalUserIds: [task.target], groupName: "" };
      try {
        await connect();
        await wwCall("openEnterpriseChat", params);
      } catch (error) {
        toast(error.message);
      }
    }

    function markDone(task) {
      return exclusive(async () => {
        try {
          renderTask(await api(url(task) + "/done", { method: "POST" }));
          toast("已标记完成");
        } catch (error) {
          report(error, () => markDone(task));
        }
      });
    }

    return { pending, showTask };
  };
})();
