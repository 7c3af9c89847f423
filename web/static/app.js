// The web console's script: live streams and the command box. No inline script (CSP):
// everything the page does in the browser is here, wired by ids and data attributes.
//
// - Tells the server the browser's time zone (cookie warroom_tz) for the times it renders.
// - Follows the page's event stream (main[data-events], resumed after main[data-after]):
//   list rows, the card and messages arrive as HTML the server rendered with the page's
//   own templates, and replace the element with the same id or are added.
// - Sends the command box, the card's and messages' buttons and the ✅/❌ reactions with the
//   session's CSRF token, and shows the reply.
"use strict";

(function () {
  function setTimeZoneCookie() {
    try {
      var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (zone) {
        document.cookie = "warroom_tz=" + encodeURIComponent(zone) +
          "; path=/; SameSite=Strict; max-age=31536000";
      }
    } catch (error) {
      // No Intl: the server uses [chat] time_zone.
    }
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // One element from server-rendered HTML (a <template> parses <tr> and <li> in place).
  function fragment(html) {
    var template = document.createElement("template");
    template.innerHTML = String(html).trim();
    return template.content.firstElementChild;
  }

  function byData(container, attribute, value) {
    var children = container.querySelectorAll("[" + attribute + "]");
    for (var i = 0; i < children.length; i++) {
      if (children[i].getAttribute(attribute) === value) {
        return children[i];
      }
    }
    return null;
  }

  function parse(event) {
    try {
      return JSON.parse(event.data);
    } catch (error) {
      return null;
    }
  }

  // --- the incident list ---

  function selectedFilter(name) {
    var select = document.querySelector('#filters select[name="' + name + '"]');
    return select ? select.value : "";
  }

  function onIncident(event) {
    var data = parse(event);
    var rows = document.getElementById("incident-rows");
    if (!data || !rows || !data.html) {
      return;
    }
    var existing = byData(rows, "data-incident", data.id);
    var state = selectedFilter("state");
    var severity = selectedFilter("severity");
    var wanted = (!state || state === data.state) && (!severity || severity === data.severity);
    if (!wanted) {
      if (existing) {
        existing.remove();
      }
      return;
    }
    var row = fragment(data.html);
    if (!row) {
      return;
    }
    var wasOpen = existing ? isOpen(existing.getAttribute("data-state")) : true;
    if (existing && wasOpen === isOpen(data.state)) {
      existing.replaceWith(row);
    } else if (existing) {
      // Open incidents come first, then the others, each newest first: a row that opened
      // or closed moves to its part.
      existing.remove();
      rows.insertBefore(row, placeFor(rows, data.id, isOpen(data.state)));
    } else if (document.getElementById("incidents").hasAttribute("data-first-page")) {
      // New incidents are the newest: they belong at the top of the first page only.
      rows.insertBefore(row, rows.firstElementChild);
      var empty = document.getElementById("no-incidents");
      if (empty) {
        empty.remove();
      }
    }
  }

  function isOpen(state) {
    return state === "triggered" || state === "acknowledged" || state === "mitigated";
  }

  // Whether incident id `a` (INC-YYYYMMDD-NNN) is newer than `b`: by day, then by number.
  function newer(a, b) {
    var x = a.split("-");
    var y = b.split("-");
    if (x[1] !== y[1]) {
      return x[1] > y[1];
    }
    return Number(x[2]) > Number(y[2]);
  }

  // The row a row of incident `id` goes before, in its part (`null`: at the end).
  function placeFor(rows, id, open) {
    var children = rows.querySelectorAll("tr.incident-row");
    for (var i = 0; i < children.length; i++) {
      var child = children[i];
      var childOpen = isOpen(child.getAttribute("data-state"));
      if (open && !childOpen) {
        return child;
      }
      if (open === childOpen && newer(id, child.getAttribute("data-incident"))) {
        return child;
      }
    }
    return null;
  }

  // --- the war room ---

  function onCard(event) {
    var data = parse(event);
    var card = document.getElementById("card");
    if (!data || !card || !data.html) {
      return;
    }
    var fresh = fragment(data.html);
    if (fresh) {
      card.replaceWith(fresh);
    }
    // The durations change with the card (an ack sets the time to acknowledge).
    var durations = document.getElementById("durations");
    var freshDurations = data.durations ? fragment(data.durations) : null;
    if (durations && freshDurations) {
      durations.replaceWith(freshDurations);
    }
  }

  function onMessage(event) {
    var data = parse(event);
    var messages = document.getElementById("messages");
    if (!data || !messages || !data.html) {
      return;
    }
    var fresh = fragment(data.html);
    if (!fresh) {
      return;
    }
    var existing = byData(messages, "data-message", data.id);
    if (existing) {
      existing.replaceWith(fresh);
    } else if (!messages.hasAttribute("data-history")) {
      // New messages follow the newest; an older page (data-history) only updates its own.
      var atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
      messages.appendChild(fresh);
      if (atBottom) {
        fresh.scrollIntoView({ block: "end" });
      }
    }
  }

  // --- the stream ---

  // A stream the browser gave up on is opened again after 1 s, then 2 s, 4 s … 30 s.
  var RETRY_FIRST_MS = 1000;
  var RETRY_MOST_MS = 30000;

  function follow(main) {
    var base = main.getAttribute("data-events");
    if (!base || typeof EventSource === "undefined") {
      return;
    }
    // Where the page stands: its own event id first, then each event's as it comes.
    var lastId = main.getAttribute("data-after");
    var delay = RETRY_FIRST_MS;
    var banner = null;

    function showNotLive(show) {
      if (show && !banner) {
        banner = document.createElement("p");
        banner.id = "live-banner";
        banner.className = "live-banner";
        banner.setAttribute("role", "status");
        banner.textContent = main.getAttribute("data-live-lost") || "";
        main.insertBefore(banner, main.firstChild);
      } else if (!show && banner) {
        banner.remove();
        banner = null;
      }
    }

    function seen(handler) {
      return function (event) {
        if (event.lastEventId) {
          lastId = event.lastEventId;
        }
        handler(event);
      };
    }

    function connect() {
      var url = base;
      if (lastId) {
        url += (url.indexOf("?") < 0 ? "?" : "&") + "after=" + encodeURIComponent(lastId);
      }
      // While the connection holds, the browser reconnects by itself and sends
      // Last-Event-ID, which the server prefers over ?after=.
      var source = new EventSource(url);
      source.addEventListener("incident", seen(onIncident));
      source.addEventListener("card", seen(onCard));
      source.addEventListener("message", seen(onMessage));
      source.addEventListener("reset", function () {
        // Missed more than the server keeps: the page as it is now.
        source.close();
        window.location.reload();
      });
      main.setAttribute("data-live", "connecting");
      source.addEventListener("open", function () {
        main.setAttribute("data-live", "open");
        showNotLive(false);
        delay = RETRY_FIRST_MS;
      });
      source.addEventListener("error", function () {
        main.setAttribute("data-live", "reconnecting");
        showNotLive(true);
        if (source.readyState !== EventSource.CLOSED) {
          return;
        }
        // The browser gave up for good: the answer was not a stream (every slot taken,
        // too many of this session's pages open, signed out). Signed out goes to the
        // sign-in page; anything else is tried again, less and less often.
        source.close();
        fetch(window.location.pathname, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
          cache: "no-store",
        })
          .then(function (response) {
            if (response.status === 401) {
              window.location.assign("/");
              return;
            }
            retry();
          })
          .catch(retry);
      });
    }

    function retry() {
      window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, RETRY_MOST_MS);
    }

    connect();
  }

  // --- writes ---

  function showReply(text, ok) {
    var reply = document.getElementById("command-reply");
    if (!reply) {
      return;
    }
    reply.textContent = text;
    reply.classList.toggle("refused", !ok);
  }

  // The page's own words (in its language) for a write that got no answer from warroom.
  function unreachable() {
    var reply = document.getElementById("command-reply");
    return reply ? reply.getAttribute("data-unreachable") || "" : "";
  }

  // POSTs `fields` to the room's `action`; resolves with {ok, reply}: every answer warroom
  // gives a page write is JSON whose `reply` is in the viewer's language.
  function write(action, fields) {
    var room = document.getElementById("room");
    if (!room) {
      return Promise.resolve({ ok: false, reply: "" });
    }
    var incident = room.getAttribute("data-incident");
    var body = new URLSearchParams(fields);
    return fetch("/incidents/" + encodeURIComponent(incident) + "/" + action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "x-csrf-token": csrfToken() },
      body: body
    }).then(function (response) {
      var type = response.headers.get("content-type") || "";
      if (type.indexOf("application/json") >= 0) {
        return response.json().then(function (answer) {
          return { ok: response.ok && answer.ok !== false, reply: answer.reply || "" };
        });
      }
      // Not the page's JSON (a proxy's error page): the page's own words, not its text.
      return { ok: false, reply: unreachable() };
    }).catch(function () {
      return { ok: false, reply: unreachable() };
    });
  }

  function wireCommandBox() {
    var form = document.getElementById("command");
    var input = document.getElementById("command-text");
    if (!form || !input) {
      return;
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value;
      if (!text.trim()) {
        return;
      }
      var send = document.getElementById("command-send");
      if (send) {
        send.disabled = true;
      }
      write("command", { text: text }).then(function (answer) {
        showReply(answer.reply, answer.ok);
        if (answer.ok) {
          input.value = "";
        }
        if (send) {
          send.disabled = false;
        }
        input.focus();
      });
    });
  }

  function wireButtons() {
    document.addEventListener("click", function (event) {
      var target = event.target;
      if (!(target instanceof Element)) {
        return;
      }
      var button = target.closest("button.card-button, button.message-button, button.react");
      if (!button || button.disabled) {
        return;
      }
      event.preventDefault();
      var pending;
      if (button.classList.contains("react")) {
        pending = write("react", {
          message: button.getAttribute("data-message"),
          emoji: button.getAttribute("data-emoji")
        });
      } else if (button.classList.contains("message-button")) {
        pending = write("click", {
          message: button.getAttribute("data-message"),
          button: button.getAttribute("data-button")
        });
      } else {
        pending = write("click", { button: button.getAttribute("data-button") });
      }
      button.disabled = true;
      pending.then(function (answer) {
        showReply(answer.reply, answer.ok);
        // The card or message may have been replaced by its live update meanwhile.
        button.disabled = false;
      });
    });
  }

  function start() {
    setTimeZoneCookie();
    var main = document.querySelector("main[data-events]");
    if (main) {
      follow(main);
    }
    wireCommandBox();
    wireButtons();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
