// The moderation page: sign in, work the queue with the keyboard, decide in bulk; a
// comment's history, edits, notes and thread in a dialog; bans; the policy with a replay.
// Plain JavaScript, no build step. All user text goes in with textContent.
(function () {
  "use strict";

  var API = "/api/v1";
  var LEAVES_TAB = {
    pending: ["approved", "rejected", "spam", "deleted"],
    flagged: ["approved", "rejected", "spam", "deleted"],
    spam: ["approved", "rejected", "pending", "deleted"],
    rejected: ["approved", "spam", "pending", "deleted"],
    approved: ["rejected", "spam", "pending", "deleted"],
    deleted: ["pending"],
    all: []
  };

  var state = {
    csrf: null,
    me: null,
    site: "default",
    status: "pending",
    q: "",
    thread: "",
    items: [],
    cursor: null,
    current: -1,
    selected: new Set(),
    busy: false,
    view: "queue",
    bans: [],
    labels: {},
    schemas: null,
    policy: null,
    replayedFor: null
  };

  // Labels for the fields a 422 names outside the policy (the policy's come from OpenAPI).
  var FIELD_LABELS = {
    body: "Text",
    note: "Note",
    kind: "Kind",
    value: "Value",
    reason: "Reason",
    expires_at: "Expires",
    purge: "Reject their comments",
    days: "Replay days",
    version: "Version",
    versions: "Versions",
    ids: "Selection",
    action: "Action",
    site: "Site",
    policy: "Policy"
  };

  function $(id) {
    return document.getElementById(id);
  }

  function say(text) {
    var status = $("status");
    status.textContent = text || "";
    status.hidden = !text; // an empty live region takes no room and says nothing
  }

  function fieldLabel(field) {
    var name = String(field || "").replace(/^policy\./, "");
    return state.labels[name] || FIELD_LABELS[name] || name;
  }

  // What went wrong, in words: a 422 lists each field by its label.
  function errText(err) {
    var errors = err && err.problem && err.problem.errors;
    if (errors && errors.length) {
      return errors.map(function (e) {
        return fieldLabel(e.field) + ": " + e.message;
      }).join("; ");
    }
    return (err && err.message) || "request failed";
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function when(iso) {
    return iso ? new Date(iso).toLocaleString() : "";
  }

  // ----- the API ---------------------------------------------------------------------

  function ApiError(status, problem) {
    this.status = status;
    this.problem = problem || {};
    this.message = (problem && problem.detail) || "request failed (" + status + ")";
  }

  function api(method, path, body) {
    var headers = { Accept: "application/json" };
    var init = { method: method, headers: headers, credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (method !== "GET" && state.csrf) {
      headers["X-CSRF-Token"] = state.csrf;
    }
    return fetch(API + path, init).then(function (resp) {
      var parsed = resp.status === 204 ? Promise.resolve(null) : resp.json().catch(function () {
        return null;
      });
      return parsed.then(function (data) {
        if (resp.status === 401 && state.csrf && path !== "/auth/login") {
          showLogin("Your session has ended; sign in again.");
        }
        if (!resp.ok) {
          throw new ApiError(resp.status, data);
        }
        return data;
      });
    });
  }

  window.commentsvcApi = api; // for the Corrections tab (corrections.js)

  function qs(params) {
    var parts = [];
    Object.keys(params).forEach(function (k) {
      if (params[k] !== "" && params[k] !== null && params[k] !== undefined) {
        parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(params[k]));
      }
    });
    return parts.length ? "?" + parts.join("&") : "";
  }

  // ----- signing in ------------------------------------------------------------------

  function showLogin(message) {
    state.csrf = null;
    if ($("panel").open) $("panel").close();
    $("queue-view").hidden = true;
    $("bans-view").hidden = true;
    $("policy-view").hidden = true;
    $("who").hidden = true;
    $("login-view").hidden = false;
    $("login-error").textContent = message || "";
    $("login-email").focus();
  }

  function signedIn(data) {
    state.csrf = data.csrf_token;
    state.me = data.moderator;
    var select = $("site");
    select.textContent = "";
    data.moderator.sites.forEach(function (site) {
      var option = document.createElement("option");
      option.value = site;
      option.textContent = site;
      select.appendChild(option);
    });
    if (data.moderator.sites.indexOf(state.site) < 0 && data.moderator.sites.length) {
      state.site = data.moderator.sites[0];
    }
    select.value = state.site;
    $("me").textContent = data.moderator.email + " (" + data.moderator.role + ")";
    $("login-view").hidden = true;
    $("who").hidden = false;
    $("views").querySelector('[data-view="policy"]').hidden = !isAdmin();
    loadSchemas().catch(function () {}); // the labels; the policy view asks again if this fails
    setView("queue");
    load(false);
  }

  function isAdmin() {
    return !!state.me && state.me.role === "admin";
  }

  function onLogin(event) {
    event.preventDefault();
    $("login-error").textContent = "";
    api("POST", "/auth/login", {
      email: $("login-email").value,
      password: $("login-password").value
    }).then(function (data) {
      $("login-password").value = "";
      signedIn(data);
    }, function (err) {
      $("login-error").textContent = errText(err);
    });
  }

  function onLogout() {
    api("POST", "/auth/logout").then(function () {
      showLogin("Signed out.");
    }, function (err) {
      say(errText(err));
    });
  }

  // ----- the queue -------------------------------------------------------------------

  function load(more) {
    var params = { site: state.site, status: state.status, q: state.q, thread: state.thread };
    if (more && state.cursor) {
      params.cursor = state.cursor;
    }
    say("Loading…");
    return api("GET", "/moderation/comments" + qs(params)).then(function (data) {
      if (!more) {
        state.items = [];
        state.selected.clear();
        state.current = -1;
      }
      state.items = state.items.concat(data.items);
      state.cursor = data.next_cursor;
      if (state.current < 0 && state.items.length) {
        state.current = 0;
      }
      render();
      markCurrent(!more);
      say(state.items.length + " shown");
      refreshStats();
    }, function (err) {
      say(errText(err));
    });
  }

  function refreshStats() {
    api("GET", "/moderation/stats" + qs({ site: state.site })).then(function (stats) {
      Array.prototype.forEach.call($("tabs").querySelectorAll("button"), function (tab) {
        var count = tab.querySelector(".count");
        if (count) {
          var n = stats.counts[tab.dataset.status];
          count.textContent = n ? String(n) : "";
        }
      });
      $("oldest").textContent = stats.oldest_pending_age_s === null
        ? ""
        : "Oldest pending comment waits " + ago(stats.oldest_pending_age_s) + ".";
    }, function () {});
  }

  function ago(seconds) {
    if (seconds < 90) return Math.round(seconds) + " s";
    if (seconds < 5400) return Math.round(seconds / 60) + " min";
    if (seconds < 172800) return Math.round(seconds / 3600) + " h";
    return Math.round(seconds / 86400) + " days";
  }

  function render() {
    var list = $("items");
    list.textContent = "";
    state.items.forEach(function (item, index) {
      list.appendChild(renderItem(item, index));
    });
    $("empty").hidden = state.items.length > 0;
    $("more").hidden = !state.cursor;
    Array.prototype.forEach.call($("tabs").querySelectorAll("button"), function (tab) {
      tab.setAttribute("aria-pressed", String(tab.dataset.status === state.status));
    });
    renderSelection();
    markCurrent(false);
  }

  function renderBody(container, body, highlights) {
    var chars = Array.from(body);
    var pos = 0;
    container.textContent = "";
    (highlights || []).forEach(function (h) {
      if (h.start < pos || h.end > chars.length) return;
      container.appendChild(document.createTextNode(chars.slice(pos, h.start).join("")));
      var mark = document.createElement("mark");
      mark.title = h.rule + ": " + h.detail;
      mark.textContent = chars.slice(h.start, h.end).join("");
      container.appendChild(mark);
      pos = h.end;
    });
    container.appendChild(document.createTextNode(chars.slice(pos).join("")));
  }

  function historyText(h) {
    if (!h || !h.total) return "first comment by this author";
    var parts = [h.approved + " approved", h.rejected + " rejected"];
    if (h.spam) parts.push(h.spam + " spam");
    if (h.pending) parts.push(h.pending + " pending");
    return "author: " + parts.join(", ");
  }

  function renderItem(item, index) {
    var node = $("item-template").content.firstElementChild.cloneNode(true);
    node.dataset.id = item.id;
    node.dataset.index = String(index);
    var q = function (sel) {
      return node.querySelector(sel);
    };
    var box = q(".select");
    box.checked = state.selected.has(item.id);
    box.setAttribute("aria-label", "Select the comment by " + item.author_name);
    box.addEventListener("change", function () {
      toggleSelect(item.id, box.checked);
    });
    q(".author").textContent = item.author_name;
    q(".email").textContent = item.author_email || "no email";
    q(".ip").textContent = item.ip_hash ? "ip " + item.ip_hash.slice(0, 10) : "";
    q(".ip").title = item.ip_hash || "";
    q(".state").textContent = item.status;
    var link = q(".thread-link");
    link.textContent = item.thread.title || item.thread.key;
    if (/^https?:\/\//i.test(item.thread.url || "")) {
      link.href = item.thread.url;
    }
    q(".when").textContent = new Date(item.created_at).toLocaleString();
    q(".when").setAttribute("datetime", item.created_at);
    q(".history").textContent = historyText(item.author_history);
    var reasons = q(".reasons");
    item.reasons.forEach(function (r) {
      var li = document.createElement("li");
      li.textContent = r.rule + ": " + r.detail;
      reasons.appendChild(li);
    });
    if (item.flags.count) {
      var flags = q(".flags");
      var reasonsText = Object.keys(item.flags.reasons).map(function (k) {
        return k + " ×" + item.flags.reasons[k];
      }).join(", ");
      flags.textContent = "Reported " + item.flags.count + " times" +
        (item.flags.unreviewed ? " (" + item.flags.unreviewed + " new)" : "") +
        (reasonsText ? ": " + reasonsText : "") +
        (item.flags.notes.length ? ". “" + item.flags.notes.join("”, “") + "”" : "");
      flags.hidden = false;
    }
    renderBody(q(".body"), item.body, item.highlights);
    if (item.decided_by && item.decided_by !== "system") {
      var decided = q(".decided");
      decided.textContent = "Last decided by " + item.decided_by +
        (item.decided_at ? " at " + new Date(item.decided_at).toLocaleString() : "") +
        (item.note ? ": " + item.note : "");
      decided.hidden = false;
    }
    Array.prototype.forEach.call(node.querySelectorAll("[data-action]"), function (button) {
      var action = button.dataset.action;
      button.hidden = !allowed(item, action);
      button.addEventListener("click", function () {
        state.current = index;
        decide(item, action);
      });
    });
    var ban = q("[data-ban]");
    ban.addEventListener("click", function () {
      banAuthor(item);
    });
    Array.prototype.forEach.call(node.querySelectorAll("[data-open]"), function (button) {
      var what = button.dataset.open;
      button.hidden = what === "edit" && !allowed(item, "edit");
      button.addEventListener("click", function () {
        state.current = index;
        markCurrent(false);
        OPENERS[what](item);
      });
    });
    node.querySelector(".card").addEventListener("click", function (event) {
      if (event.target.closest("button, input, a")) return;
      state.current = index;
      markCurrent(false);
    });
    return node;
  }

  // What may be done to a comment is the server's answer (ModComment.actions, from
  // the lifecycle table), never worked out here.
  function allowed(item, action) {
    return (item.actions || []).indexOf(action) >= 0;
  }

  function markCurrent(focus) {
    var nodes = $("items").children;
    Array.prototype.forEach.call(nodes, function (node, i) {
      var on = i === state.current;
      node.classList.toggle("current", on);
      if (on) {
        node.setAttribute("aria-current", "true");
        if (focus) {
          node.querySelector(".card").focus();
        }
      } else {
        node.removeAttribute("aria-current");
      }
    });
  }

  function move(step) {
    if (!state.items.length) return;
    state.current = Math.max(0, Math.min(state.items.length - 1, state.current + step));
    markCurrent(true);
  }

  // ----- selection and decisions -------------------------------------------------------

  function toggleSelect(id, on) {
    if (on === undefined) on = !state.selected.has(id);
    if (on) state.selected.add(id);
    else state.selected.delete(id);
    renderSelection();
  }

  function renderSelection() {
    Array.prototype.forEach.call($("items").children, function (node) {
      var on = state.selected.has(node.dataset.id);
      node.classList.toggle("selected", on);
      node.querySelector(".select").checked = on;
    });
    var n = state.selected.size;
    $("bulk").hidden = n === 0;
    $("bulk-count").textContent = n + (n === 1 ? " comment selected" : " comments selected");
  }

  function stillListed(item) {
    return LEAVES_TAB[state.status].indexOf(item.status) < 0;
  }

  function replaceItem(id, updated) {
    var index = state.items.findIndex(function (it) {
      return it.id === id;
    });
    if (index < 0) return;
    if (updated && stillListed(updated)) {
      state.items[index] = updated;
    } else {
      state.items.splice(index, 1);
      state.selected.delete(id);
      if (state.current > index) {
        state.current -= 1;
      }
      if (state.current >= state.items.length) {
        state.current = state.items.length - 1;
      }
    }
  }

  function decide(item, action, note) {
    if (state.busy) return;
    state.busy = true;
    var body = { action: action, version: item.version };
    if (note) body.note = note;
    api("POST", "/moderation/comments/" + encodeURIComponent(item.id) + "/decision", body).then(function (updated) {
      replaceItem(item.id, updated);
      say("Comment by " + item.author_name + ": " + action + " done" + (note ? ", with a note." : "."));
    }, function (err) {
      say(errText(err));
      if (err.status === 409 || err.status === 404) {
        return refetch(item.id);
      }
    }).then(function () {
      state.busy = false;
      render();
      markCurrent(true);
      refreshStats();
    });
  }

  function bulk(action) {
    var ids = Array.from(state.selected);
    if (!ids.length || state.busy) return;
    state.busy = true;
    var versions = {};
    ids.forEach(function (id) {
      var seen = state.items.find(function (it) { return it.id === id; });
      if (seen) versions[id] = seen.version; // a comment changed since is a conflict, not overridden
    });
    var request = { ids: ids, action: action, versions: versions };
    var note = $("bulk-note").value.trim();
    if (note) request.note = note;
    api("POST", "/moderation/decisions", request).then(function (data) {
      var failed = [];
      var decided = [];
      ids.forEach(function (id) {
        var result = data.results[id];
        if (result === "ok") {
          decided.push(id);
        } else {
          failed.push(result && result.detail ? result.detail : "failed");
        }
      });
      state.selected.clear();
      $("bulk-note").value = "";
      // Ask again for what was decided: its new status and actions are the server's.
      return Promise.all(decided.map(refetch)).then(function () {
        say(
          decided.length + " comments: " + action + " done." +
          (failed.length ? " " + failed.length + " not: " + failed[0] : "")
        );
      });
    }, function (err) {
      say(errText(err));
    }).then(function () {
      state.busy = false;
      render();
      refreshStats();
    });
  }

  function refetch(id) {
    return api("GET", "/moderation/comments/" + encodeURIComponent(id)).then(
      function (fresh) {
        replaceItem(id, fresh);
      },
      function () {
        replaceItem(id, null);
      }
    );
  }

  function banAuthor(item) {
    var kind = item.author_email ? "email" : "ip";
    var value = item.author_email || item.ip_hash;
    if (!value) {
      say("This comment has neither an email nor an address to ban.");
      return;
    }
    var what = kind === "email" ? item.author_email : "this address";
    if (!window.confirm("Ban " + what + " on " + state.site +
      " and reject their pending and approved comments?")) {
      return;
    }
    api("POST", "/moderation/bans", {
      site: state.site, kind: kind, value: value, purge: true, reason: "from the queue"
    }).then(function (data) {
      var done = "Banned " + what + (data.purge && data.purge.status === "running"
        ? "; rejecting their comments in the background."
        : "; " + (data.purge ? data.purge.rejected : 0) + " comments rejected.");
      return load(false).then(function () { say(done); }); // after the reload's own status

    }, function (err) {
      say(errText(err));
    });
  }

  function currentItem() {
    return state.current >= 0 ? state.items[state.current] : null;
  }

  function act(action) {
    if (state.selected.size) {
      bulk(action);
      return;
    }
    var item = currentItem();
    if (item && allowed(item, action)) {
      decide(item, action);
    }
  }

  // ----- the dialog: history, thread, note, edit ---------------------------------------

  function openPanel(title, fill) {
    var panel = $("panel");
    $("panel-title").textContent = title;
    var body = $("panel-body");
    body.textContent = "";
    fill(body);
    if (!panel.open) panel.showModal();
    var first = body.querySelector("textarea, input, select, button");
    if (first) first.focus();
    else $("panel-close").focus();
  }

  function closePanel() {
    if ($("panel").open) $("panel").close();
  }

  function panelError(body) {
    var p = el("p", "error");
    p.setAttribute("role", "alert");
    body.appendChild(p);
    return p;
  }

  var EVENT_WORDS = {
    received: "received",
    approve: "approved",
    reject: "rejected",
    spam: "marked as spam",
    delete: "deleted",
    restore: "restored",
    edit: "edited",
    flagged: "reported by readers",
    feature: "featured",
    unfeature: "no longer featured"
  };

  function showHistory(item) {
    openPanel("History: comment by " + item.author_name, function (body) {
      var loading = el("p", "muted", "Loading…");
      body.appendChild(loading);
      api("GET", "/moderation/comments/" + encodeURIComponent(item.id) + "/events").then(
        function (data) {
          loading.remove();
          if (!data.events.length) {
            body.appendChild(el("p", "muted", "No events recorded."));
            return;
          }
          var list = el("ol", "events");
          list.id = "history-list";
          data.events.forEach(function (e) {
            var li = el("li", "event");
            li.dataset.action = e.action;
            var head = el("p", "event-head");
            var at = el("time", null, when(e.at));
            at.setAttribute("datetime", e.at);
            head.appendChild(at);
            head.appendChild(document.createTextNode(" · "));
            head.appendChild(el("strong", null, EVENT_WORDS[e.action] || e.action));
            head.appendChild(document.createTextNode(" by " + e.actor));
            if (e.from_status || e.to_status) {
              head.appendChild(el("span", "event-move",
                " (" + (e.from_status || "—") + " → " + (e.to_status || "—") + ")"));
            }
            li.appendChild(head);
            if (e.note) li.appendChild(el("div", "event-note", e.note));
            list.appendChild(li);
          });
          body.appendChild(list);
        },
        function (err) {
          loading.textContent = errText(err);
        }
      );
    });
  }

  function threadEntry(c, depth, here) {
    var li = el("li", "thread-item" + (here ? " here" : ""));
    li.dataset.id = c.id;
    li.classList.add("depth-" + Math.min(depth, 8));
    if (here) li.setAttribute("aria-current", "true");
    var head = el("p", "thread-head");
    head.appendChild(el("span", "author", c.author_name));
    head.appendChild(document.createTextNode(" · " + when(c.created_at) + " "));
    head.appendChild(el("span", "badge", c.status));
    if (here) head.appendChild(el("span", "visually-hidden", " (this comment)"));
    li.appendChild(head);
    var text = el("div", "body");
    renderBody(text, c.body, c.highlights);
    li.appendChild(text);
    return li;
  }

  function showThread(item) {
    openPanel("Thread: " + (item.thread.title || item.thread.key), function (body) {
      var loading = el("p", "muted", "Loading…");
      body.appendChild(loading);
      api("GET", "/moderation/comments/" + encodeURIComponent(item.id) + "/thread").then(
        function (data) {
          loading.remove();
          var list = el("ol", "thread-list");
          list.id = "thread-list";
          var depthOf = {};
          data.ancestors.forEach(function (c, i) {
            depthOf[c.id] = i;
            list.appendChild(threadEntry(c, i, false));
          });
          var own = data.ancestors.length;
          depthOf[data.comment.id] = own;
          list.appendChild(threadEntry(data.comment, own, true));
          data.replies.forEach(function (c) {
            var depth = (depthOf[c.parent_id] === undefined ? own : depthOf[c.parent_id]) + 1;
            depthOf[c.id] = depth;
            list.appendChild(threadEntry(c, depth, false));
          });
          body.appendChild(list);
          if (data.truncated) body.appendChild(el("p", "muted", "Only part of a long thread is shown."));
        },
        function (err) {
          loading.textContent = errText(err);
        }
      );
    });
  }

  function showNote(item) {
    openPanel("Decide with a note: comment by " + item.author_name, function (body) {
      var form = el("form", "panel-form");
      form.id = "note-form";
      var label = el("label", null, "Note (kept in the comment's history)");
      label.setAttribute("for", "note-text");
      var text = el("textarea");
      text.id = "note-text";
      text.maxLength = 2000;
      text.rows = 3;
      form.appendChild(label);
      form.appendChild(text);
      var buttons = el("div", "actions");
      ["approve", "reject", "spam", "delete", "restore"].forEach(function (action) {
        if (!allowed(item, action)) return;
        var b = el("button", null, action.charAt(0).toUpperCase() + action.slice(1) + " with note");
        b.type = "button";
        b.dataset.noteAction = action;
        b.addEventListener("click", function () {
          closePanel();
          decide(item, action, text.value.trim());
        });
        buttons.appendChild(b);
      });
      form.appendChild(buttons);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
      });
      body.appendChild(form);
    });
  }

  function showEdit(item) {
    openPanel("Edit: comment by " + item.author_name, function (body) {
      var form = el("form", "panel-form");
      form.id = "edit-form";
      var label = el("label", null, "Text");
      label.setAttribute("for", "edit-body");
      var text = el("textarea");
      text.id = "edit-body";
      text.rows = 6;
      text.value = item.body;
      var noteLabel = el("label", null, "Why (kept in the history with the previous text)");
      noteLabel.setAttribute("for", "edit-note");
      var note = el("input");
      note.type = "text";
      note.id = "edit-note";
      note.maxLength = 2000;
      var save = el("button", null, "Save the edit");
      save.type = "submit";
      [label, text, noteLabel, note, save].forEach(function (n) {
        form.appendChild(n);
      });
      var error = panelError(form);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        error.textContent = "";
        var request = { body: text.value, version: item.version };
        if (note.value.trim()) request.note = note.value.trim();
        api("PATCH", "/moderation/comments/" + encodeURIComponent(item.id), request).then(
          function (updated) {
            replaceItem(item.id, updated);
            closePanel();
            render();
            markCurrent(true);
            say("Comment by " + item.author_name + " edited.");
          },
          function (err) {
            error.textContent = errText(err);
          }
        );
      });
      body.appendChild(form);
    });
  }

  var OPENERS = { history: showHistory, thread: showThread, note: showNote, edit: showEdit };

  // ----- views -----------------------------------------------------------------------

  function setView(view) {
    if (view === "policy" && !isAdmin()) return;
    state.view = view;
    $("queue-view").hidden = view !== "queue";
    $("bans-view").hidden = view !== "bans";
    $("policy-view").hidden = view !== "policy";
    Array.prototype.forEach.call($("views").querySelectorAll("button"), function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.view === view));
    });
    say("");
    if (view === "bans") {
      loadBans().then(function () {
        $("ban-q").focus();
      });
    } else if (view === "policy") {
      loadPolicy();
    } else {
      markCurrent(true);
    }
  }

  // ----- bans ------------------------------------------------------------------------

  function loadBans() {
    var params = { site: state.site, expired: $("ban-expired").checked ? "1" : "" };
    return api("GET", "/moderation/bans" + qs(params)).then(function (data) {
      state.bans = data.items;
      renderBans();
    }, function (err) {
      say(errText(err));
    });
  }

  function banMatches(ban, q) {
    if (!q) return true;
    return [ban.kind, ban.value, ban.reason, ban.created_by].some(function (v) {
      return String(v || "").toLowerCase().indexOf(q) >= 0;
    });
  }

  function renderBans() {
    var q = $("ban-q").value.trim().toLowerCase();
    var rows = $("ban-rows");
    rows.textContent = "";
    var shown = state.bans.filter(function (ban) {
      return banMatches(ban, q);
    });
    shown.forEach(function (ban) {
      var tr = el("tr", ban.active ? "" : "expired");
      tr.dataset.id = String(ban.id);
      tr.appendChild(el("td", "ban-kind", ban.kind));
      tr.appendChild(el("td", "ban-value", ban.value));
      tr.appendChild(el("td", "ban-reason", ban.reason || "—"));
      var expires = el("td", "ban-expires");
      if (ban.expires_at) {
        var t = el("time", null, when(ban.expires_at));
        t.setAttribute("datetime", ban.expires_at);
        expires.appendChild(t);
        if (!ban.active) expires.appendChild(document.createTextNode(" (expired)"));
      } else {
        expires.textContent = "never";
      }
      tr.appendChild(expires);
      tr.appendChild(el("td", "ban-by", ban.created_by + ", " + when(ban.created_at)));
      var cell = el("td");
      var lift = el("button", "lift", "Lift");
      lift.type = "button";
      lift.setAttribute("aria-label", "Lift the ban on " + ban.kind + " " + ban.value);
      lift.addEventListener("click", function () {
        liftBan(ban);
      });
      cell.appendChild(lift);
      tr.appendChild(cell);
      rows.appendChild(tr);
    });
    $("ban-empty").hidden = shown.length > 0;
    $("ban-caption").textContent = shown.length + " of " + state.bans.length + " bans on " + state.site;
  }

  function liftBan(ban) {
    api("DELETE", "/moderation/bans/" + encodeURIComponent(ban.id)).then(function () {
      var at = state.bans.indexOf(ban);
      state.bans = state.bans.filter(function (b) {
        return b.id !== ban.id;
      });
      renderBans();
      var next = $("ban-rows").querySelectorAll("button.lift");
      if (next.length) next[Math.min(Math.max(at, 0), next.length - 1)].focus();
      else $("ban-q").focus();
      say("Lifted the ban on " + ban.kind + " " + ban.value + ".");
    }, function (err) {
      say(errText(err));
    });
  }

  function addBan(event) {
    event.preventDefault();
    var request = {
      site: state.site,
      kind: $("ban-kind").value,
      value: $("ban-value").value,
      reason: $("ban-reason").value
    };
    var local = $("ban-expires").value;
    if (local) {
      var at = new Date(local);
      request.expires_at = isNaN(at.getTime()) ? local : at.toISOString();
    }
    api("POST", "/moderation/bans", request).then(function (data) {
      $("ban-value").value = "";
      $("ban-reason").value = "";
      $("ban-expires").value = "";
      return loadBans().then(function () {
        say("Banned " + data.ban.kind + " " + data.ban.value + ".");
      });
    }, function (err) {
      say(errText(err));
    });
  }

  // ----- policy ----------------------------------------------------------------------

  function loadSchemas() {
    if (state.schemas) return Promise.resolve(state.schemas);
    return fetch("/api/openapi.json", { credentials: "same-origin" }).then(function (resp) {
      if (!resp.ok) throw new ApiError(resp.status, null);
      return resp.json();
    }).then(function (spec) {
      var schemas = spec.components.schemas;
      state.schemas = { shown: schemas.Policy, accepted: schemas.NewPolicy };
      Object.keys(schemas.Policy.properties).forEach(function (name) {
        state.labels[name] = schemas.Policy.properties[name].title || name;
      });
      return state.schemas;
    });
  }

  function loadPolicy() {
    $("policy-error").textContent = "";
    return Promise.all([
      loadSchemas(),
      api("GET", "/sites/" + encodeURIComponent(state.site) + "/policy")
    ]).then(function (got) {
      state.policy = got[1];
      buildPolicyForm(got[0], got[1]);
      $("replay").hidden = true;
      state.replayedFor = null;
      updateSave();
      var first = $("policy-fields").querySelector("input, select, textarea");
      if (first) first.focus();
    }, function (err) {
      $("policy-error").textContent = errText(err);
    });
  }

  function kindOf(name, shown) {
    if (shown.enum) return "choice";
    if (shown.type === "boolean") return "bool";
    if (shown.type === "integer") return "int";
    if (shown.type === "array") return "list";
    if (shown.anyOf) return "number"; // toxicity_threshold: 0..1 or empty
    return "text";
  }

  function buildPolicyForm(schemas, values) {
    var box = $("policy-fields");
    box.textContent = "";
    Object.keys(schemas.shown.properties).forEach(function (name) {
      var shown = schemas.shown.properties[name];
      var accepted = schemas.accepted.properties[name] || {};
      var kind = kindOf(name, shown);
      var id = "pf-" + name;
      var field = el("div", "field field-" + kind);
      field.dataset.field = name;
      field.dataset.kind = kind;
      var label = el("label", null, shown.title || name);
      label.setAttribute("for", id);
      var input;
      var value = values[name];
      if (kind === "choice") {
        input = el("select");
        shown.enum.forEach(function (choice) {
          var o = el("option", null, String(choice));
          o.value = String(choice);
          input.appendChild(o);
        });
        input.value = String(value);
      } else if (kind === "bool") {
        input = el("input");
        input.type = "checkbox";
        input.checked = !!value;
      } else if (kind === "int") {
        input = el("input");
        input.type = "number";
        input.step = "1";
        input.required = true;
        if (shown.minimum !== undefined) input.min = String(shown.minimum);
        if (shown.maximum !== undefined) input.max = String(shown.maximum);
        input.value = String(value);
      } else if (kind === "list") {
        input = el("textarea");
        input.rows = 3;
        input.value = (value || []).join("\n");
      } else if (kind === "number") {
        input = el("input");
        input.type = "number";
        input.step = "any";
        input.min = "0";
        input.max = "1";
        input.value = value === null || value === undefined ? "" : String(value);
      } else {
        input = el("input");
        input.type = "text";
        input.value = value === null || value === undefined ? "" : String(value);
        if (accepted.enum) {
          var list = el("datalist");
          list.id = id + "-choices";
          accepted.enum.forEach(function (choice) {
            var o = el("option");
            o.value = String(choice);
            list.appendChild(o);
          });
          field.appendChild(list);
          input.setAttribute("list", list.id);
        }
      }
      input.id = id;
      input.name = name;
      var help = el("p", "field-help", shown.description || "");
      help.id = id + "-help";
      var error = el("p", "field-error");
      error.id = id + "-error";
      input.setAttribute("aria-describedby", help.id + " " + error.id);
      if (kind === "bool") {
        label.insertBefore(input, label.firstChild);
        field.appendChild(label);
      } else {
        field.appendChild(label);
        field.appendChild(input);
      }
      field.appendChild(help);
      field.appendChild(error);
      box.appendChild(field);
    });
  }

  function policyValues() {
    var values = {};
    Array.prototype.forEach.call($("policy-fields").querySelectorAll(".field"), function (field) {
      var name = field.dataset.field;
      var input = $("pf-" + name);
      var kind = field.dataset.kind;
      var raw = input.value;
      if (kind === "bool") {
        values[name] = input.checked;
      } else if (kind === "int") {
        values[name] = /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
      } else if (kind === "list") {
        values[name] = raw.split("\n").map(function (line) {
          return line.trim();
        }).filter(Boolean);
      } else if (kind === "number") {
        values[name] = raw.trim() === "" ? null : isNaN(Number(raw)) ? raw : Number(raw);
      } else {
        values[name] = raw;
      }
    });
    return values;
  }

  function clearFieldErrors() {
    Array.prototype.forEach.call($("policy-fields").querySelectorAll(".field"), function (field) {
      field.querySelector(".field-error").textContent = "";
      $("pf-" + field.dataset.field).removeAttribute("aria-invalid");
    });
    $("replay-days").removeAttribute("aria-invalid");
    $("policy-error").textContent = "";
  }

  function showFieldErrors(errors) {
    var first = null;
    errors.forEach(function (e) {
      var name = String(e.field).replace(/^policy\./, "");
      var input = name === "days" ? $("replay-days") : $("pf-" + name);
      if (!input) return;
      input.setAttribute("aria-invalid", "true");
      var slot = $("pf-" + name + "-error");
      if (slot) slot.textContent = e.message;
      if (!first) first = input;
    });
    $("policy-error").textContent = errors.map(function (e) {
      return fieldLabel(e.field) + ": " + e.message;
    }).join("; ");
    if (first) first.focus();
  }

  // The browser's own checks (ranges, whole numbers) before asking the server.
  function checkPolicyForm() {
    clearFieldErrors();
    var errors = [];
    Array.prototype.forEach.call($("policy-fields").querySelectorAll("input"), function (input) {
      if (!input.checkValidity()) errors.push({ field: input.name, message: input.validationMessage });
    });
    if (!$("replay-days").checkValidity()) {
      errors.push({ field: "days", message: $("replay-days").validationMessage });
    }
    if (errors.length) showFieldErrors(errors);
    return !errors.length;
  }

  function updateSave() {
    var fresh = state.replayedFor !== null && state.replayedFor === JSON.stringify(policyValues());
    $("policy-save").disabled = !fresh;
  }

  function runReplay(event) {
    event.preventDefault();
    if (!checkPolicyForm()) return;
    var values = policyValues();
    var days = Number($("replay-days").value);
    say("Replaying…");
    api("POST", "/sites/" + encodeURIComponent(state.site) + "/policy/replay", {
      policy: values,
      days: days
    }).then(function (report) {
      state.replayedFor = JSON.stringify(values);
      renderReplay(report);
      updateSave();
      say("Replay done: " + report.changed + " comments would change.");
    }, function (err) {
      say("");
      if (err.problem && err.problem.errors) showFieldErrors(err.problem.errors);
      else $("policy-error").textContent = errText(err);
    });
  }

  var CHANGE_WORDS = {
    hold: "would hold",
    release: "would release",
    reject: "would reject",
    other: "would move between spam and rejected"
  };

  function renderReplay(report) {
    var c = report.counts;
    var parts = ["would hold " + c.hold, "release " + c.release, "reject " + c.reject];
    if (c.other) parts.push("move " + c.other + " between spam and rejected");
    $("replay-summary").textContent = "Of " + report.comments + " comments in the last " +
      report.days + " days, this policy " + parts.join(", ") + "." +
      (report.changed ? "" : " Nothing would change.") +
      (report.truncated ? " (Only the newest comments were replayed.)" : "");
    var rules = $("replay-rules");
    rules.textContent = "";
    report.by_rule.forEach(function (r) {
      var li = el("li", "change-" + r.change, CHANGE_WORDS[r.change] + " " + r.count + " by " + r.rule);
      li.dataset.change = r.change;
      li.dataset.rule = r.rule;
      rules.appendChild(li);
    });
    var examples = $("replay-examples");
    examples.textContent = "";
    report.examples.forEach(function (x) {
      var li = el("li", "example change-" + x.change);
      li.dataset.id = x.id;
      var head = el("p", "example-head");
      head.appendChild(el("span", "author", x.author_name));
      head.appendChild(document.createTextNode(" · " + (x.thread.title || x.thread.key) + " · "));
      head.appendChild(el("span", "badge", x.was + " → " + x.would_be));
      li.appendChild(head);
      if (x.reasons.length) {
        var reasons = el("ul", "reasons");
        x.reasons.forEach(function (r) {
          reasons.appendChild(el("li", null, r.rule + ": " + r.detail));
        });
        li.appendChild(reasons);
      }
      var text = el("div", "body");
      renderBody(text, x.body, x.highlights);
      li.appendChild(text);
      examples.appendChild(li);
    });
    $("replay").hidden = false;
  }

  function savePolicy() {
    if (!checkPolicyForm()) return;
    var values = policyValues();
    api("PUT", "/sites/" + encodeURIComponent(state.site) + "/policy", values).then(function (saved) {
      state.policy = saved;
      state.replayedFor = null;
      updateSave();
      say("Policy of " + state.site + " saved.");
    }, function (err) {
      if (err.problem && err.problem.errors) showFieldErrors(err.problem.errors);
      else $("policy-error").textContent = errText(err);
    });
  }

  // ----- wiring ----------------------------------------------------------------------

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || $("who").hidden) return;
    if ($("panel").open) return; // the dialog has the keyboard; Escape closes it
    var tag = event.target && event.target.tagName;
    var checkbox = tag === "INPUT" && event.target.type === "checkbox"; // shortcuts still apply
    if ((tag === "INPUT" && !checkbox) || tag === "TEXTAREA" || tag === "SELECT") {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    if (checkbox && state.view === "policy") return; // a policy checkbox is a form field
    switch (event.key) {
      case "b":
        setView("bans");
        event.preventDefault();
        return;
      case "p":
        if (!isAdmin()) return;
        setView("policy");
        event.preventDefault();
        return;
      case "q":
        setView("queue");
        event.preventDefault();
        return;
      case "/":
        if (state.view === "bans") {
          $("ban-q").focus();
          event.preventDefault();
          return;
        }
        break;
      default:
        break;
    }
    if (state.view !== "queue") return;
    var item = currentItem();
    switch (event.key) {
      case "h":
      case "t":
      case "e":
      case "n":
        if (!item) return;
        if (event.key === "e" && !allowed(item, "edit")) return;
        OPENERS[{ h: "history", t: "thread", e: "edit", n: "note" }[event.key]](item);
        break;
      case "j":
        move(1);
        break;
      case "k":
        move(-1);
        break;
      case "a":
        act("approve");
        break;
      case "r":
        act("reject");
        break;
      case "s":
        act("spam");
        break;
      case "x":
        if (item) toggleSelect(item.id);
        break;
      case "/":
        $("q").focus();
        break;
      case "?":
        $("help").open = !$("help").open;
        break;
      default:
        return;
    }
    event.preventDefault();
  }

  function start() {
    $("login-form").addEventListener("submit", onLogin);
    $("logout").addEventListener("click", onLogout);
    $("site").addEventListener("change", function () {
      state.site = $("site").value;
      load(false);
      if (state.view === "bans") loadBans();
      if (state.view === "policy") loadPolicy();
    });
    Array.prototype.forEach.call($("views").querySelectorAll("button"), function (b) {
      b.addEventListener("click", function () {
        setView(b.dataset.view);
      });
    });
    $("panel-close").addEventListener("click", closePanel);
    $("panel").addEventListener("close", function () {
      if (state.view === "queue") markCurrent(true); // back to the comment it came from
    });
    $("ban-q").addEventListener("input", renderBans);
    $("ban-expired").addEventListener("change", loadBans);
    $("ban-form").addEventListener("submit", addBan);
    $("policy-form").addEventListener("submit", runReplay);
    $("policy-form").addEventListener("input", updateSave);
    $("policy-form").addEventListener("change", updateSave);
    $("policy-save").addEventListener("click", savePolicy);
    $("policy-reset").addEventListener("click", function () {
      loadPolicy();
    });
    Array.prototype.forEach.call($("tabs").querySelectorAll("button"), function (tab) {
      tab.addEventListener("click", function () {
        state.status = tab.dataset.status;
        state.q = $("q").value.trim(); // what the boxes show is what the tab lists
        state.thread = $("thread-filter").value.trim();
        load(false);
      });
    });
    $("search-form").addEventListener("submit", function (event) {
      event.preventDefault();
      state.q = $("q").value.trim();
      state.thread = $("thread-filter").value.trim();
      load(false);
    });
    Array.prototype.forEach.call($("bulk").querySelectorAll("[data-bulk]"), function (button) {
      button.addEventListener("click", function () {
        bulk(button.dataset.bulk);
      });
    });
    $("bulk-clear").addEventListener("click", function () {
      state.selected.clear();
      renderSelection();
    });
    $("more").addEventListener("click", function () {
      load(true);
    });
    document.addEventListener("keydown", onKey);
    api("GET", "/auth/session").then(function (data) {
      if (!data.csrf_token) {
        showLogin();
        return;
      }
      signedIn(data);
    }, function () {
      showLogin();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
