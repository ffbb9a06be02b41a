// Keyboard first: "/" focuses the search box from anywhere but a text field.
document.addEventListener("keydown", function (event) {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  const typing = target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
  if (typing) return;
  const box = document.getElementById("search-box");
  if (box) { event.preventDefault(); box.focus(); box.select(); }
});
