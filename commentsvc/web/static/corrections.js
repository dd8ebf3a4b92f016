// The moderation page's Corrections tab (issue 16): readers' private reports of an error in
// a passage, with the passage shown in its context; mark one corrected (with a public note),
// not an error, or a duplicate. Plain JavaScript; all user text goes in with textContent.
(function () {
  "use strict";

  var STATUS_TEXT = {
    open: "Open",
    corrected: "Corrected",
    not_an_error: "Not an error",
    duplicate: "Duplicate"
  };

  function $(id) {
    return document.getElementById(id);
  }

  function el(tag, props, kids) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (k) {
      if (k === "text") node.textContent = props[k];
      else if (k === "class") node.className = props[k];
      else node.setAttribute(k, props[k]);
    });
    (kids || []).forEach(function (kid) {
      if (kid !== null && kid !== undefined) {
        node.appendChild(typeof kid === "string" ? document.createTextNode(kid) : kid);
      }
    });
    return node;
  }

  // moderate.js's: the session's CSRF token, and the sign-in form when the session ends.
  function api(method, path, body) {
    return window.commentsvcApi(method, path, body);
  }

  function site() {
    return ($("site") && $("site").value) || "default";
  }

  function visible() {
    return !$("corrections-view").hidden;
  }

  function say(text) {
    $("corrections-status-line").textContent = text;
  }

  function passage(a) {
    return el("blockquote", { class: "passage" }, [
      a.prefix ? "…" + a.prefix : "",
      el("mark", { text: a.quote }),
      a.suffix ? a.suffix + "…" : ""
    ]);
  }

  function card(item) {
    var title = item.thread.title || item.thread.key;
    var link = item.thread.url
      ? el("a", { href: item.thread.url, target: "_blank", rel: "noopener noreferrer", text: title })
      : el("span", { text: title });
    // The article opened at the passage (a text fragment: the browser highlights it).
    var at = item.thread.url && item.anchor.quote
      ? el("a", { href: item.thread.url.split("#")[0] + "#:~:text=" +
          encodeURIComponent(item.anchor.quote.slice(0, 300)), target: "_blank",
          rel: "noopener noreferrer", class: "passage-link", text: "Show in the article" })
      : null;
    var when = new Date(item.created_at);
    var reporter = item.reporter_email
      ? item.reporter_email + (item.email_confirmed ? " (confirmed)" : " (not confirmed)")
      : "no email";
    var noteId = "correction-note-" + item.id;
    var note = el("input", { type: "text", id: noteId, maxlength: "1000" });
    note.value = item.public_note || "";
    var actions = el("div", { class: "actions" }, [
      el("label", { for: noteId, text: "Public note" }),
      note
    ]);
    [["correct", "Mark corrected"], ["not_an_error", "Not an error"], ["duplicate", "Duplicate"],
      ["reopen", "Reopen"]].forEach(function (pair) {
      if (pair[0] === "reopen" && item.status === "open") return;
      var b = el("button", { type: "button", "data-correction-action": pair[0], text: pair[1] });
      b.addEventListener("click", function () {
        decide(item, pair[0], note.value.trim());
      });
      actions.appendChild(b);
    });
    var decided = item.decided_by
      ? el("p", { class: "decided", text: STATUS_TEXT[item.status] + " by " + item.decided_by +
          " on " + new Date(item.decided_at).toLocaleString() +
          (item.reporter_notified ? "; the reporter was told" : "") })
      : null;
    return el("li", { class: "item correction", "data-id": String(item.id) }, [
      el("article", { class: "card" }, [
        el("header", { class: "item-head" }, [
          el("span", { class: "badge state", text: STATUS_TEXT[item.status] || item.status }),
          el("span", { class: "email", text: reporter })
        ]),
        el("p", { class: "meta" }, [link, " · ", el("time", { datetime: item.created_at, text: when.toLocaleString() })]),
        passage(item.anchor),
        at ? el("p", {}, [at]) : null,
        el("p", { class: "body", dir: "auto", text: item.note }),
        decided,
        actions
      ])
    ]);
  }

  function load() {
    var status = $("corrections-status").value;
    var query = "?site=" + encodeURIComponent(site()) + "&status=" + encodeURIComponent(status);
    return api("GET", "/moderation/corrections" + query).then(function (data) {
      var list = $("corrections-items");
      list.textContent = "";
      data.items.forEach(function (item) {
        list.appendChild(card(item));
      });
      $("corrections-empty").hidden = data.items.length > 0;
      $("corrections-count").textContent = data.open_count ? String(data.open_count) : "";
      say(data.items.length + " shown");
    }, function (err) {
      say(err.message);
    });
  }

  function count() {
    var query = "?site=" + encodeURIComponent(site()) + "&status=open";
    api("GET", "/moderation/corrections" + query).then(function (data) {
      $("corrections-count").textContent = data.open_count ? String(data.open_count) : "";
    }, function () {});
  }

  function decide(item, action, publicNote) {
    api("POST", "/moderation/corrections/" + item.id + "/decision",
      { action: action, public_note: publicNote }).then(function (done) {
      return load().then(function () {
        say("Report " + (STATUS_TEXT[done.status] || done.status).toLowerCase() + ".");
      });
    }, function (err) {
      say(err.message);
    });
  }

  function show(on) {
    $("corrections-view").hidden = !on;
    if (on) {
      load();
    }
  }

  function start() {
    if (!$("corrections-view")) return;
    Array.prototype.forEach.call($("views").querySelectorAll("button"), function (b) {
      b.addEventListener("click", function () {
        show(b.dataset.view === "corrections");
      });
    });
    // The page's own views opened another way (keyboard shortcuts, sign-out): step aside.
    ["queue-view", "bans-view", "policy-view", "login-view"].forEach(function (id) {
      var other = $(id);
      if (!other) return;
      new MutationObserver(function () {
        if (!other.hidden && visible()) show(false);
      }).observe(other, { attributes: true, attributeFilter: ["hidden"] });
    });
    $("corrections-status").addEventListener("change", load);
    // Once signed in, the tab shows how many reports are open.
    var who = $("who");
    if (who) {
      new MutationObserver(function () {
        if (!who.hidden) count();
      }).observe(who, { attributes: true, attributeFilter: ["hidden"] });
      if (!who.hidden) count();
    }
    $("site").addEventListener("change", function () {
      if (visible()) load();
      else count();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
