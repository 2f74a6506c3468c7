/* voronka's website snippet (docs/server.md): a page view on every load, with the page's UTM
   parameters (they become the event's channel and campaign), and voronka.identify(id, traits)
   when a visitor becomes known (their earlier anonymous id becomes an alias of id).
     <script src="https://voronka.example/snippet.js" data-key="PROJECT_KEY" async></script>
   The anonymous id lives in localStorage ("voronka_id"). Events go to /batch/ (PostHog's shape). */
(function () {
  var script = document.currentScript;
  var host = script && script.src ? script.src.replace(/\/snippet\.js([?#].*)?$/, "") : "";
  var key = (script && script.getAttribute("data-key")) || "";
  var UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"];

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, function (c) {
      var r = (Math.random() * 16) | 0;
      return (c === "x" ? r : (r & 3) | 8).toString(16);
    });
  }
  function load(name) { try { return localStorage.getItem(name); } catch (e) { return null; } }
  function save(name, value) { try { localStorage.setItem(name, value); } catch (e) { /* private mode */ } }

  var id = load("voronka_id");
  if (!id) { id = uuid(); save("voronka_id", id); }

  function capture(event, properties, extra) {
    var item = { event: event, distinct_id: id, uuid: uuid(), timestamp: new Date().toISOString(),
                 properties: properties || {} };
    for (var name in extra || {}) item[name] = extra[name];
    var text = JSON.stringify({ api_key: key, sent_at: new Date().toISOString(), batch: [item] });
    var url = host + "/batch/";
    if (navigator.sendBeacon && navigator.sendBeacon(url, new Blob([text], { type: "text/plain" }))) return;
    fetch(url, { method: "POST", body: text, keepalive: true, headers: { "Content-Type": "text/plain" } });
  }

  function pageview() {
    var properties = { $current_url: location.href, $pathname: location.pathname, $title: document.title,
                       $referrer: document.referrer || "$direct" };
    var query = new URLSearchParams(location.search);
    UTM.forEach(function (name) { if (query.get(name)) properties[name] = query.get(name); });
    capture("$pageview", properties);
  }

  function identify(newId, traits) {
    newId = String(newId || "");
    if (!newId || newId === id) return;
    var before = id;
    id = newId;
    save("voronka_id", id);
    capture("$identify", { $anon_distinct_id: before }, { $set: traits || {} });
  }

  window.voronka = { capture: capture, identify: identify, pageview: pageview,
                     id: function () { return id; } };
  pageview();
})();
