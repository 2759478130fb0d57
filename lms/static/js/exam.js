// The exam page: countdown, autosave of every answer, submission at zero.
// The server decides time and grading; this only keeps the candidate informed and nothing lost.
(() => {
  const form = document.querySelector(".exam-form");
  if (!form) return;
  const token = form.querySelector("input[name=csrf_token]").value;
  const status = document.querySelector(".save-status");
  const clock = document.querySelector(".countdown");
  const sequenceField = form.querySelector("input[name=sequence]");
  const deadline = performance.now() + Number(clock.dataset.secondsLeft) * 1000;
  // Grows with time across reloads, so an old tab's saves count as older; fits a 32-bit column.
  let sequence = (Math.floor(Date.now() / 1000) - 1700000000) * 20;
  const pending = new Map();  // question token -> latest payload not yet confirmed
  let submitting = false;

  const say = (text) => { status.textContent = text; };

  function selectedFor(name) {
    return Array.from(form.querySelectorAll(`input[name="${CSS.escape(name)}"]:checked`)).map((i) => i.value);
  }

  async function send(question) {
    const payload = pending.get(question);
    if (!payload) return;
    say(form.dataset.savingLabel);
    try {
      const response = await fetch(form.dataset.saveUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token },
        body: JSON.stringify(payload),
        credentials: "same-origin",
      });
      if (response.status === 409) { window.location.reload(); return; }  // closed on the server
      if (!response.ok) throw new Error(String(response.status));
      if (pending.get(question) === payload) pending.delete(question);
      if (pending.size === 0) say(form.dataset.savedLabel);
    } catch (error) {
      say(form.dataset.offlineLabel);
      setTimeout(() => send(question), 3000);
    }
  }

  form.addEventListener("change", (event) => {
    const name = event.target.name;
    if (!name || name === "sequence") return;
    sequence += 1;
    sequenceField.value = String(sequence + 1);
    pending.set(name, { question: name, selected: selectedFor(name), sequence });
    send(name);
  });

  window.addEventListener("online", () => { for (const question of pending.keys()) send(question); });

  function tick() {
    const left = Math.max(0, Math.round((deadline - performance.now()) / 1000));
    clock.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
    if (left <= 60) clock.classList.add("is-urgent");
    if (left === 0 && !submitting) {
      submitting = true;
      sequenceField.value = String(sequence + 1);
      form.submit();
      return;
    }
    setTimeout(tick, 500);
  }
  form.addEventListener("submit", () => { submitting = true; sequenceField.value = String(sequence + 1); });
  tick();
})();
