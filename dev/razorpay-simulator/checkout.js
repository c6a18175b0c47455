// A stand-in for https://checkout.razorpay.com/v1/checkout.js, served by the Razorpay simulator: the same
// `new Razorpay(options).open()`, `on("payment.failed")`, `handler` and `modal.ondismiss`, with a dialog whose
// Pay / Fail / Dismiss make the simulator's payment (or failure) of the Razorpay order. Styles are set through the
// DOM, never inline markup, so the shop's Content-Security-Policy (style-src 'self') allows them.
(() => {
  const script = document.currentScript;
  const simulator = script ? new URL(script.src).origin : "";

  function styled(tag, styles, text) {
    const element = document.createElement(tag);
    Object.assign(element.style, styles);
    if (text !== undefined) element.textContent = text;
    return element;
  }

  function amountText(minor, currency) {
    const digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions()
      .maximumFractionDigits;
    return new Intl.NumberFormat("en-IN", { style: "currency", currency }).format(minor / 10 ** digits);
  }

  class Razorpay {
    constructor(options) {
      if (!options?.key || !options.order_id) throw new Error("Razorpay Checkout needs key and order_id");
      this.options = options;
      this.failureHandlers = [];
    }

    on(event, handler) {
      if (event === "payment.failed") this.failureHandlers.push(handler);
    }

    open() {
      const options = this.options;
      const overlay = styled("div", {
        position: "fixed",
        inset: "0",
        background: "rgba(0, 0, 0, 0.6)",
        display: "flex",
        alignItems: "center",
        justifyContent: "center",
        zIndex: "2147483647",
      });
      const dialog = styled("div", {
        background: "#fff",
        color: "#111",
        borderRadius: "8px",
        padding: "24px",
        width: "min(360px, calc(100vw - 32px))",
        fontFamily: "system-ui, sans-serif",
        boxSizing: "border-box",
      });
      dialog.setAttribute("role", "dialog");
      dialog.setAttribute("aria-modal", "true");
      dialog.setAttribute("aria-label", "Razorpay Checkout (simulator)");
      const title = styled("h2", { margin: "0 0 8px", fontSize: "20px" }, "Razorpay Checkout (simulator)");
      const summary = styled(
        "p",
        { margin: "0 0 16px" },
        `${options.name ?? "Shop"}: ${options.description ?? options.order_id}, ${amountText(options.amount, options.currency)}`,
      );
      const message = styled("p", { margin: "0 0 16px", color: "#a40000", minHeight: "1.2em" });
      message.setAttribute("role", "alert");
      const buttons = styled("div", { display: "flex", gap: "8px", flexWrap: "wrap" });
      const button = (label, background) => {
        const element = styled(
          "button",
          {
            flex: "1 1 auto",
            minHeight: "44px",
            padding: "8px 16px",
            fontSize: "16px",
            border: "1px solid #333",
            borderRadius: "6px",
            background,
            color: background === "#fff" ? "#111" : "#fff",
            cursor: "pointer",
          },
          label,
        );
        element.type = "button";
        buttons.append(element);
        return element;
      };
      const pay = button("Pay", "#0b5cad");
      const fail = button("Fail", "#8a1c1c");
      const dismiss = button("Dismiss", "#fff");
      dialog.append(title, summary, message, buttons);
      overlay.append(dialog);
      document.body.append(overlay);
      pay.focus();

      const close = () => overlay.remove();
      const post = async (action) => {
        const response = await fetch(`${simulator}/__simulator/orders/${options.order_id}/${action}`, {
          method: "POST",
        });
        return response.json();
      };
      pay.addEventListener("click", async () => {
        pay.disabled = true;
        const fields = await post("pay");
        close();
        options.handler?.(fields);
      });
      fail.addEventListener("click", async () => {
        const payment = await post("fail");
        message.textContent = "Payment failed. Try again, or dismiss.";
        for (const handler of this.failureHandlers)
          handler({
            error: {
              code: payment.error_code,
              description: payment.error_description,
              source: "bank",
              step: "payment_authorization",
              reason: "payment_failed",
              metadata: { order_id: options.order_id, payment_id: payment.id },
            },
          });
      });
      dismiss.addEventListener("click", () => {
        close();
        options.modal?.ondismiss?.();
      });
    }
  }

  window.Razorpay = Razorpay;
})();
