// The moderation page: sign in, work the queue with the keyboard, decide in bulk.
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
    busy: false
  };

  function $(id) {
    return document.getElementById(id);
  }

  function say(text) {
    $("status").textContent = text;
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
    $("queue-view").hidden = true;
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
    $("queue-view").hidden = false;
    load(false);
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
      $("login-error").textContent = err.message;
    });
  }

  function onLogout() {
    api("POST", "/auth/logout").then(function () {
      showLogin("Signed out.");
    }, function (err) {
      say(err.message);
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
      say(err.message);
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
      button.hidden = !allowed(item.status, action);
      button.addEventListener("click", function () {
        state.current = index;
        decide(item, action);
      });
    });
    var ban = q("[data-ban]");
    ban.addEventListener("click", function () {
      banAuthor(item);
    });
    node.querySelector(".card").addEventListener("click", function (event) {
      if (event.target.closest("button, input, a")) return;
      state.current = index;
      markCurrent(false);
    });
    return node;
  }

  function allowed(status, action) {
    var from = {
      approve: ["received", "pending", "spam", "rejected"],
      reject: ["received", "pending", "approved", "spam"],
      spam: ["received", "pending", "approved", "rejected"],
      delete: ["received", "pending", "approved", "spam", "rejected"],
      restore: ["deleted", "rejected", "spam"]
    };
    return from[action].indexOf(status) >= 0;
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

  function decide(item, action) {
    if (state.busy) return;
    state.busy = true;
    api("POST", "/moderation/comments/" + encodeURIComponent(item.id) + "/decision", {
      action: action,
      version: item.version
    }).then(function (updated) {
      replaceItem(item.id, updated);
      say("Comment by " + item.author_name + ": " + action + " done.");
    }, function (err) {
      say(err.message);
      if (err.status === 409 || err.status === 404) {
        return api("GET", "/moderation/comments/" + encodeURIComponent(item.id)).then(
          function (fresh) {
            replaceItem(item.id, fresh);
          },
          function () {
            replaceItem(item.id, null);
          }
        );
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
    api("POST", "/moderation/decisions", { ids: ids, action: action, versions: versions }).then(function (data) {
      var failed = [];
      ids.forEach(function (id) {
        var result = data.results[id];
        if (result === "ok") {
          var item = state.items.find(function (it) {
            return it.id === id;
          });
          var copy = item ? Object.assign({}, item, { status: statusAfter(action) }) : null;
          replaceItem(id, copy);
        } else {
          failed.push(result && result.detail ? result.detail : "failed");
        }
      });
      state.selected.clear();
      say(
        (ids.length - failed.length) + " comments: " + action + " done." +
        (failed.length ? " " + failed.length + " not: " + failed[0] : "")
      );
    }, function (err) {
      say(err.message);
    }).then(function () {
      state.busy = false;
      render();
      refreshStats();
    });
  }

  function statusAfter(action) {
    return {
      approve: "approved",
      reject: "rejected",
      spam: "spam",
      delete: "deleted",
      restore: "pending"
    }[action];
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
      say(err.message);
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
    if (item && allowed(item.status, action)) {
      decide(item, action);
    }
  }

  // ----- wiring ----------------------------------------------------------------------

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || $("queue-view").hidden) return;
    var tag = event.target && event.target.tagName;
    var checkbox = tag === "INPUT" && event.target.type === "checkbox"; // shortcuts still apply
    if ((tag === "INPUT" && !checkbox) || tag === "TEXTAREA" || tag === "SELECT") {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    var item = currentItem();
    switch (event.key) {
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
