// Aftersales page behaviour: the phone navigation, confirmations, and the CSRF token for htmx requests.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-nav-toggle]");
    if (toggle) {
      var open = document.body.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      return;
    }
    if (document.body.classList.contains("nav-open") && !event.target.closest(".sidebar")) {
      document.body.classList.remove("nav-open");
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
  document.addEventListener("htmx:configRequest", function (event) {
    var token = document.querySelector("meta[name=csrf-token]");
    if (token) {
      event.detail.headers["X-CSRFToken"] = token.getAttribute("content");
    }
  });
  // Selects that choose an asset kind show only that kind's fields.
  function showKindFields(select) {
    var form = select.form;
    form.querySelectorAll("[data-kinds]").forEach(function (box) {
      var kinds = box.getAttribute("data-kinds").split(" ");
      box.hidden = kinds.indexOf(select.value) === -1;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-kind-switch]")) {
      showKindFields(event.target);
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-kind-switch]").forEach(showKindFields);
  });
})();
