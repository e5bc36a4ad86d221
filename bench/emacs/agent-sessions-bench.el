;;; agent-sessions-bench.el --- Figures for agent-sessions.el  -*- lexical-binding: t; -*-

;;; Commentary:

;; What an Emacs user waits for: starting the server, opening a long
;; session's chat buffer, and a deferred message saved and acknowledged.
;; Run from the repository root, after building src/AgentSessions.Cli:
;;
;;   AGENT_SESSIONS_BENCH_CLI=src/AgentSessions.Cli/bin/Release/net10.0/agent-sessions.dll \
;;     emacs --batch -Q -L editors/emacs -l bench/emacs/agent-sessions-bench.el
;;
;; It uses a temporary store and prints lines starting with BENCH.

;;; Code:

(require 'cl-lib)
(require 'agent-sessions)

(defun agent-sessions-bench--ms (start)
  "Milliseconds since START."
  (* 1000 (- (float-time) start)))

(defun agent-sessions-bench--median (times)
  "The median of TIMES."
  (nth (/ (length times) 2) (sort (copy-sequence times) #'<)))

(let* ((cli (or (getenv "AGENT_SESSIONS_BENCH_CLI")
                (error "Set AGENT_SESSIONS_BENCH_CLI to the built agent-sessions.dll")))
       (store (make-temp-file "agent-sessions-bench-" t))
       (agent-sessions-program (list "dotnet" (expand-file-name cli)))
       (agent-sessions-store store)
       (agent-sessions-auto-save-interval 0))
  (unwind-protect
      (progn
        (let ((start (float-time)))
          (agent-sessions--connection)
          (message "BENCH server start + initialize: %.0f ms" (agent-sessions-bench--ms start)))
        (agent-sessions--call :session.create (list :id "big" :switch :json-false))
        (dotimes (i 20)
          (agent-sessions--call
           :session.append
           (list :id "big"
                 :messages (vconcat
                            (cl-loop for j below 500 collect
                                     (list :role (if (cl-evenp j) "user" "assistant")
                                           :content (format "message %d about zebras, `code`\n\n```\nprint(%d)\n```"
                                                            (+ (* i 500) j) j)))))))
        (let (times)
          (dotimes (_ 5)
            (let ((start (float-time)))
              (with-current-buffer (agent-sessions-chat "big")
                (push (agent-sessions-bench--ms start) times)
                (let ((kill-buffer-hook nil)) (kill-buffer)))))
          (message "BENCH open a 10,000-message session (last %d shown): median %.0f ms of 5"
                   agent-sessions-max-messages (agent-sessions-bench--median times)))
        (with-current-buffer (agent-sessions-chat "big")
          (let (times)
            (dotimes (_ 21)
              (let ((start (float-time)))
                (agent-sessions-add-message "user" "note")
                (agent-sessions-save)
                (while agent-sessions--pending (accept-process-output nil 0.001))
                (push (agent-sessions-bench--ms start) times)))
            (message "BENCH add a message and save it until acknowledged: median %.1f ms of 21"
                     (agent-sessions-bench--median times)))))
    (agent-sessions--stop)
    (delete-directory store t)))

;;; agent-sessions-bench.el ends here
