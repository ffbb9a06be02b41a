// The customer's signature on the technician's page: drawn on a <canvas>
// with a finger, a pen or the mouse (pointer events), kept in a hidden input
// as a PNG data URL. After a refused form the server sends the drawing back,
// and it is shown again so the customer need not sign twice.
(function () {
  "use strict";

  var INK = "#1b2430";
  var PAPER = "#ffffff";

  function setUp(pad) {
    var canvas = pad.querySelector("canvas");
    var input = pad.querySelector("input[type=hidden]");
    var clear = pad.querySelector("[data-signature-clear]");
    var status = pad.querySelector("[data-signature-status]");
    var form = canvas.closest("form");
    var context = canvas.getContext("2d");
    var drawing = false;
    var signed = false;
    var last = null;

    function paper() {
      context.save();
      context.setTransform(1, 0, 0, 1, 0, 0);
      context.fillStyle = PAPER;
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.restore();
    }

    function pen() {
      context.lineWidth = 2.5;
      context.lineCap = "round";
      context.lineJoin = "round";
      context.strokeStyle = INK;
      context.fillStyle = INK;
    }

    function show(dataUrl) {
      var image = new Image();
      image.onload = function () {
        var box = canvas.getBoundingClientRect();
        context.drawImage(image, 0, 0, box.width, box.height);
        signed = true;
      };
      image.src = dataUrl;
    }

    // The drawing buffer follows the size on screen (sharp on dense
    // screens); a drawing already made survives a turn of the phone.
    function size(force) {
      var ratio = Math.min(window.devicePixelRatio || 1, 2);
      var box = canvas.getBoundingClientRect();
      var width = Math.max(1, Math.round(box.width * ratio));
      var height = Math.max(1, Math.round(box.height * ratio));
      // A keyboard opening resizes the window but not the pad.
      if (!force && width === canvas.width && height === canvas.height) return;
      var kept = signed ? canvas.toDataURL("image/png") : null;
      canvas.width = width;
      canvas.height = height;
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      paper();
      pen();
      if (kept) show(kept);
    }

    function point(event) {
      var box = canvas.getBoundingClientRect();
      return { x: event.clientX - box.left, y: event.clientY - box.top };
    }

    function save() {
      input.value = signed ? canvas.toDataURL("image/png") : "";
      if (signed && status) status.textContent = "";
      pad.classList.remove("has-error");
    }

    canvas.addEventListener("pointerdown", function (event) {
      if (event.button !== undefined && event.button > 0) return;
      event.preventDefault();
      if (canvas.setPointerCapture) canvas.setPointerCapture(event.pointerId);
      drawing = true;
      last = point(event);
      context.beginPath();
      context.arc(last.x, last.y, context.lineWidth / 2, 0, Math.PI * 2);
      context.fill();
      signed = true;
    });

    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      event.preventDefault();
      var events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
      if (!events.length) events = [event];
      context.beginPath();
      context.moveTo(last.x, last.y);
      for (var index = 0; index < events.length; index += 1) {
        var next = point(events[index]);
        context.lineTo(next.x, next.y);
        last = next;
      }
      context.stroke();
    });

    function stop() {
      if (!drawing) return;
      drawing = false;
      last = null;
      save();
    }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    canvas.addEventListener("lostpointercapture", stop);

    if (clear) {
      clear.addEventListener("click", function () {
        signed = false;
        paper();
        save();
      });
    }

    if (form) {
      form.addEventListener("submit", function (event) {
        save();
        if (!signed) {
          event.preventDefault();
          if (status) {
            var button = form.querySelector("[data-signature-message]");
            status.textContent = button ? button.getAttribute("data-signature-message") : "";
          }
          pad.classList.add("has-error");
          canvas.scrollIntoView({ block: "center" });
        }
      });
    }

    var resizing = null;
    window.addEventListener("resize", function () {
      clearTimeout(resizing);
      resizing = setTimeout(function () { size(false); }, 150);
    });

    size(true);
    if (input.value.indexOf("data:image/png;base64,") === 0) show(input.value);
  }

  function start() {
    var pads = document.querySelectorAll("[data-signature-pad]");
    for (var index = 0; index < pads.length; index += 1) setUp(pads[index]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
