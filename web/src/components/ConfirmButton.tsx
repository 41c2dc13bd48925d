import { type ReactNode, useRef } from "react";

/** A button that asks for confirmation in a modal dialog before it runs `onConfirm`. */
export function ConfirmButton({
  children,
  question,
  confirmLabel,
  onConfirm,
  disabled,
  className = "danger",
}: {
  children: ReactNode;
  question: string;
  confirmLabel: string;
  onConfirm: () => void;
  disabled?: boolean;
  className?: string;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  return (
    <>
      <button type="button" className={className} disabled={disabled} onClick={() => dialog.current?.showModal()}>
        {children}
      </button>
      <dialog ref={dialog} aria-label={question}>
        <form method="dialog">
          <p>{question}</p>
          <div className="actions">
            <button value="cancel" autoFocus>Cancel</button>
            <button
              value="confirm"
              className="danger"
              onClick={(event) => {
                event.preventDefault();
                dialog.current?.close();
                onConfirm();
              }}
            >
              {confirmLabel}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
