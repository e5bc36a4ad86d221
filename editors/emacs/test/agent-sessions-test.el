;;; agent-sessions-test.el --- ERT tests of agent-sessions.el  -*- lexical-binding: t; -*-

;;; Commentary:

;; Run against the real built `agent-sessions rpc' and, for the chat
;; tests, the local OpenAI-compatible test server
;; (tests/AgentSessions.FakeOpenAi).  tests/AgentSessions.Emacs.Tests runs
;; each test in its own `emacs --batch -Q' and sets:
;;
;;   AGENT_SESSIONS_TEST_CLI    the built agent-sessions.dll (required)
;;   AGENT_SESSIONS_TEST_STORE  a store to use (else a temporary one)
;;   AGENT_SESSIONS_ENDPOINT    the test server's URL (chat tests)
;;   AGENT_SESSIONS_MODEL, AGENT_SESSIONS_API_KEY (chat tests)
;;   AGENT_SESSIONS_TEST_SESSION  the session id the resume tests share
;;
;; What the store holds is checked with a separate `agent-sessions show'
;; process, the way another program would see it.  Waits are bounded
;; (`agent-sessions-test--wait'); no test asserts a duration.

;;; Code:

(require 'ert)
(require 'cl-lib)
(require 'agent-sessions)

(defvar agent-sessions-test--dir nil
  "The store of the test running.")

(defun agent-sessions-test--cli ()
  "The built agent-sessions.dll."
  (or (getenv "AGENT_SESSIONS_TEST_CLI")
      (error "Set AGENT_SESSIONS_TEST_CLI to the built agent-sessions.dll")))

(defun agent-sessions-test--reset ()
  "Forget every chat buffer and server of an earlier test."
  (dolist (buffer (agent-sessions--chat-buffers))
    (with-current-buffer buffer
      (setq agent-sessions--pending nil)
      (remove-hook 'kill-buffer-hook #'agent-sessions--kill-buffer t))
    (kill-buffer buffer))
  (agent-sessions--stop)
  (when agent-sessions--timer
    (cancel-timer agent-sessions--timer)
    (setq agent-sessions--timer nil)))

(defmacro agent-sessions-test--with-store (&rest body)
  "Run BODY with a fresh store (or AGENT_SESSIONS_TEST_STORE) and server."
  (declare (indent 0) (debug t))
  `(let* ((shared (getenv "AGENT_SESSIONS_TEST_STORE"))
          (agent-sessions-test--dir
           (file-name-as-directory (or shared (make-temp-file "agent-sessions-el-" t))))
          (agent-sessions-program (list "dotnet" (agent-sessions-test--cli)))
          (agent-sessions-store agent-sessions-test--dir)
          (agent-sessions-auto-save t)
          (agent-sessions-auto-save-interval 0))
     (unwind-protect
         (progn (agent-sessions-test--reset) ,@body)
       (agent-sessions-test--reset)
       (unless shared (delete-directory agent-sessions-test--dir t)))))

(defun agent-sessions-test--wait (predicate &optional seconds)
  "Let Emacs run until PREDICATE holds or SECONDS (60) pass; return its value.
A bound for a hung server, not a measure: the test then fails on its
own assertion."
  (let ((deadline (+ (float-time) (or seconds 60)))
        value)
    (while (and (not (setq value (funcall predicate))) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    value))

(defun agent-sessions-test--run-cli (&rest args)
  "Run the CLI with ARGS on the test's store; return stdout, or fail."
  (with-temp-buffer
    (let* ((process-environment (cons "AGENT_SESSIONS_DEBUG" process-environment))
           (status (apply #'call-process "dotnet" nil (list t nil) nil
                          (agent-sessions-test--cli)
                          (append args (list "--store" agent-sessions-test--dir)))))
      (unless (eql status 0)
        (error "agent-sessions %s failed (%s): %s" (string-join args " ") status (buffer-string)))
      (buffer-string))))

(defun agent-sessions-test--stored (id)
  "Session ID as the store holds it now, read by another process (a plist)."
  (json-parse-string (agent-sessions-test--run-cli "show" id "--json")
                     :object-type 'plist :null-object nil :false-object nil))

(defun agent-sessions-test--stored-texts (id)
  "The texts of the messages stored for session ID."
  (mapcar (lambda (m) (plist-get m :text))
          (plist-get (agent-sessions-test--stored id) :messages)))

(defun agent-sessions-test--append (id role text)
  "Store a message with ROLE and TEXT in session ID now (not deferred)."
  (agent-sessions--call :session.append (list :id id :role role :content text)))

(defun agent-sessions-test--type (text)
  "Type TEXT into the current chat buffer's input area."
  (goto-char (point-max))
  (insert text))

(defun agent-sessions-test--messages-log (&optional from)
  "The text of *Messages*, FROM a position (a `agent-sessions-test--messages-mark')."
  (with-current-buffer (messages-buffer)
    (buffer-substring-no-properties (min (or from (point-min)) (point-max)) (point-max))))

(defun agent-sessions-test--messages-mark ()
  "Where *Messages* ends now: what a test logs comes after it."
  (with-current-buffer (messages-buffer) (point-max)))

;;;; The package itself

(ert-deftest agent-sessions-test-byte-compiles-without-warnings ()
  "agent-sessions.el byte-compiles with every warning an error."
  (let* ((source (locate-library "agent-sessions.el" t))
         (dir (make-temp-file "agent-sessions-elc-" t))
         (byte-compile-error-on-warn t)
         (byte-compile-dest-file-function
          (lambda (_) (expand-file-name "agent-sessions.elc" dir))))
    (unwind-protect
        (progn
          (should source)
          (should (byte-compile-file source))
          (should (file-exists-p (expand-file-name "agent-sessions.elc" dir))))
      (delete-directory dir t))))

(ert-deftest agent-sessions-test-neutralize-control-characters ()
  "ESC, C1 controls, a lone CR and bidi controls become visible escapes."
  (should (equal (agent-sessions--neutralize "a\e[2Jb\u009b\u202e\r\nc\rd\te")
                 "a\\x1b[2Jb\\x9b\\u202e\nc\\rd\te"))
  (should (equal (agent-sessions--neutralize "t1\nt2\tx" t) "t1\\nt2\\tx"))
  (should (equal (agent-sessions--neutralize nil) "")))

(ert-deftest agent-sessions-test-commands-are-autoloaded ()
  "The commands a user starts with have autoload cookies."
  (let* ((dir (make-temp-file "agent-sessions-autoloads-" t))
         (file (expand-file-name "agent-sessions-autoloads.el" dir))
         (source (file-name-directory (locate-library "agent-sessions.el" t))))
    (unwind-protect
        (progn
          (if (fboundp 'loaddefs-generate)
              (funcall 'loaddefs-generate source file)
            (require 'autoload)
            (funcall 'make-directory-autoloads source file))
          (let ((text (with-temp-buffer (insert-file-contents file) (buffer-string))))
            (dolist (command '("agent-sessions-chat" "agent-sessions-list" "agent-sessions-search"
                               "agent-sessions-send-and-wait" "agent-sessions-export"
                               "agent-sessions-undo" "agent-sessions-redo" "agent-sessions-fork"
                               "agent-sessions-snapshot" "agent-sessions-save"))
              (should (string-match-p (format "(autoload '%s " (regexp-quote command)) text)))))
      (delete-directory dir t))))

;;;; Sessions, the buffer and the list

(ert-deftest agent-sessions-test-chat-creates-a-session-and-shows-it ()
  "A new chat buffer is a new stored session; its transcript is shown safely."
  (agent-sessions-test--with-store
    (let* ((buffer (agent-sessions-chat))
           (id (buffer-local-value 'agent-sessions--id buffer)))
      (should (buffer-live-p buffer))
      (should (equal (plist-get (agent-sessions-test--stored id) :id) id))
      (agent-sessions-test--append id "user" "how do \e[2Jzebras sleep")
      (agent-sessions-test--append id "assistant" "```\nstanding\u202e up\n```")
      (with-current-buffer buffer
        (agent-sessions-refresh)
        (let ((text (buffer-string)))
          (should (string-match-p "zebras sleep" text))
          (should (string-match-p (regexp-quote "\\x1b[2J") text))
          (should (string-match-p (regexp-quote "\\u202e") text))
          (should-not (string-match-p "[\e\u202e]" text)))
        ;; The code block has its face; the mode line counts messages.
        (goto-char (point-min))
        (search-forward "standing")
        (should (eq (get-text-property (point) 'face) 'agent-sessions-code))
        (should (string-match-p ":2 ↑" mode-line-process))))))

(ert-deftest agent-sessions-test-transcript-is-read-only-and-input-is-not ()
  "The transcript cannot be edited by mistake; the input area can."
  (agent-sessions-test--with-store
    (with-current-buffer (agent-sessions-chat)
      (agent-sessions-test--append agent-sessions--id "user" "hello")
      (agent-sessions-refresh)
      (goto-char (point-min))
      (search-forward "hello")
      (should-error (insert "x") :type 'text-read-only)
      (agent-sessions-test--type "draft")
      (should (equal (agent-sessions--input-text) "draft")))))

(ert-deftest agent-sessions-test-many-deltas-are-joined-once ()
  "20,000 chat.delta pieces: the answer is exactly their concatenation, shown and kept.
Joining them as they come copied the answer so far on every piece:
the characters of strings made while they arrive are counted (Emacs
counts them, deterministically), not the time taken."
  (agent-sessions-test--with-store
    (with-current-buffer (agent-sessions-chat)
      (let* ((id agent-sessions--id)
             (pieces (cl-loop for i below 20000 collect (format "w%d " i)))
             (expected (apply #'concat pieces))
             (from (copy-marker agent-sessions--end))
             (stream (copy-marker agent-sessions--end t))
             (turn (list :from from :chunks nil :input "q" :stream stream))
             chars)
        (setq agent-sessions--turn turn)
        (let ((before (nth 4 (memory-use-counts))))
          (dolist (piece pieces)
            (agent-sessions--on-delta (list :id id :text piece)))
          (setq chars (- (nth 4 (memory-use-counts)) before)))
        ;; Linear: a few copies of the answer at most, not one per piece
        ;; (that was about 20,000/2 copies).
        (should (< chars (* 20 (length expected))))
        (should (equal (buffer-substring-no-properties from stream) expected))
        ;; The server stops mid-answer: the partial kept is every piece.
        (agent-sessions--turn-failed (list :code -1 :message "the server stopped"))
        (should (null agent-sessions--turn))
        (should (equal (plist-get turn :answer) expected))))))

(ert-deftest agent-sessions-test-tool-calls-and-results-are-folded ()
  "A tool call and its result show as one line each; RET unfolds the details."
  (agent-sessions-test--with-store
    (with-current-buffer (agent-sessions-chat)
      (agent-sessions--call
       :session.append
       (list :id agent-sessions--id
             :messages (vector
                        (list :role "assistant"
                              :parts (vector (list :type "toolCall" :callId "c1" :name "get_weather"
                                                   :arguments (list :city "Paris\e[2J"))))
                        (list :role "tool"
                              :parts (vector (list :type "toolResult" :callId "c1"
                                                   :result "sunny and 21 degrees"))))))
      (agent-sessions-refresh)
      (goto-char (point-min))
      (should (search-forward "▸ tool call: get_weather" nil t))
      (should (search-forward "▸ tool result (c1)" nil t))
      (goto-char (point-min))
      (search-forward "Paris")
      (should (invisible-p (point)))
      (should-not (string-match-p "\e" (buffer-string)))
      (goto-char (point-min))
      (search-forward "▸ tool call")
      (push-button (match-beginning 0))
      (search-forward "Paris")
      (should-not (invisible-p (point)))
      (search-forward "sunny")
      (should (invisible-p (point))))))

(ert-deftest agent-sessions-test-list-renames-tags-pins-exports-and-deletes ()
  "The list buffer's commands reach the store."
  (agent-sessions-test--with-store
    (let* ((id (buffer-local-value 'agent-sessions--id (agent-sessions-chat)))
           (file (expand-file-name "out.md" agent-sessions-test--dir)))
      (agent-sessions-test--append id "user" "export me")
      (with-current-buffer (agent-sessions-list)
        (goto-char (point-min))
        (should (search-forward id nil t))
        (beginning-of-line)
        (agent-sessions-list-rename "Renamed")
        (agent-sessions-list-tag "work later")
        (agent-sessions-list-tag "-later")
        (agent-sessions-list-pin)
        (let ((stored (agent-sessions-test--stored id)))
          (should (equal (plist-get stored :title) "Renamed"))
          (should (equal (plist-get stored :tags) ["work"]))
          (should (eq (plist-get stored :pinned) t)))
        (should (string-match-p "Renamed" (buffer-string)))
        (agent-sessions-export id "markdown" file)
        (should (string-match-p "export me" (with-temp-buffer
                                               (insert-file-contents file)
                                               (buffer-string))))
        (goto-char (point-min))
        (search-forward id)
        (beginning-of-line)
        (cl-letf (((symbol-function 'yes-or-no-p) (lambda (_) nil)))
          (agent-sessions-list-delete))
        (should (agent-sessions-test--stored id))
        (cl-letf (((symbol-function 'yes-or-no-p) (lambda (_) t)))
          (agent-sessions-list-delete))
        (should-error (agent-sessions-test--stored id))
        (should-not (agent-sessions--buffer-for id))
        (should-not (string-match-p (regexp-quote id) (buffer-string)))))))

(ert-deftest agent-sessions-test-search-finds-sessions-by-their-text ()
  "Search and completion find a session by words in its messages, not just its title."
  (agent-sessions-test--with-store
    (let ((id (buffer-local-value 'agent-sessions--id (agent-sessions-chat))))
      (agent-sessions--call :session.rename (list :id id :title "Stripes"))
      (agent-sessions-test--append id "user" "how do zebras sleep")
      (let ((other (buffer-local-value 'agent-sessions--id (agent-sessions-chat))))
        (agent-sessions--call :session.rename (list :id other :title "Unrelated")))
      ;; Typing a word of the text (a prefix of it) offers that session only.
      (let ((candidates (agent-sessions--session-candidates "zebr")))
        (should (equal (length candidates) 1))
        (should (string-match-p (regexp-quote id) (car candidates))))
      ;; Through completion itself: the hits are offered though none starts with the text typed.
      (let ((completion-styles '(agent-sessions)))
        (should (equal (length (completion-all-completions
                                "zebr" #'agent-sessions--completion-table nil 4))
                       1)))
      ;; Nothing typed: every session, newest first.
      (should (equal (length (agent-sessions--session-candidates "")) 2))
      (with-current-buffer (agent-sessions-search "zebras")
        (should (string-match-p "Stripes" (buffer-string)))
        (should (string-match-p "#1 user" (buffer-string)))))))

(ert-deftest agent-sessions-test-undo-redo-fork-and-snapshot ()
  "History commands change the store and redraw the buffer."
  (agent-sessions-test--with-store
    (with-current-buffer (agent-sessions-chat)
      (let ((id agent-sessions--id))
        (agent-sessions-test--append id "user" "one")
        (agent-sessions-test--append id "assistant" "two")
        (agent-sessions-snapshot "two-msgs")
        (agent-sessions-test--append id "user" "three")
        (agent-sessions-test--append id "assistant" "four")
        (agent-sessions-refresh)
        (agent-sessions-undo)
        (should (equal (agent-sessions-test--stored-texts id) '("one" "two")))
        (should-not (string-match-p "four" (buffer-string)))
        (agent-sessions-redo)
        (should (equal (agent-sessions-test--stored-texts id) '("one" "two" "three" "four")))
        (should (string-match-p "four" (buffer-string)))
        (let ((fork (agent-sessions-fork id 2)))
          (should (equal (agent-sessions-test--stored-texts fork) '("one" "two")))
          (should (agent-sessions--buffer-for fork)))
        (should (equal (mapcar (lambda (s) (plist-get s :name))
                               (plist-get (agent-sessions-test--stored id) :snapshots))
                       '("two-msgs")))))))

;;;; What the buffer holds is saved

(ert-deftest agent-sessions-test-session-switch-saves-a-deferred-message ()
  "A message added in deferred mode is stored when another session is opened."
  (agent-sessions-test--with-store
    (let ((a (agent-sessions-chat)))
      (with-current-buffer a
        (agent-sessions-add-message "user" "a note for later")
        (should (string-match-p "not saved yet" (buffer-string)))
        (agent-sessions-test--type "half a question"))
      (let ((id (buffer-local-value 'agent-sessions--id a)))
        ;; Deferred: held by the server, not stored yet.
        (should (equal (agent-sessions-test--stored-texts id) nil))
        (with-current-buffer a (agent-sessions-chat))
        (should (agent-sessions-test--wait
                 (lambda () (null (buffer-local-value 'agent-sessions--pending a)))))
        (should (equal (agent-sessions-test--stored-texts id) '("a note for later")))
        (with-current-buffer a
          (should (string-match-p "a note for later" (buffer-string)))
          (should-not (string-match-p "not saved yet" (buffer-string))))
        (should (agent-sessions-test--wait
                 (lambda () (equal (plist-get (plist-get (agent-sessions-test--stored id) :metadata)
                                              :draft)
                                   "half a question"))
                 30))))))

(ert-deftest agent-sessions-test-timer-tick-saves-a-deferred-message-and-the-draft ()
  "With a 1 s interval the timer stores the deferred message and the draft."
  (agent-sessions-test--with-store
    (let ((agent-sessions-auto-save-interval 1))
      (let* ((buffer (agent-sessions-chat))
             (id (buffer-local-value 'agent-sessions--id buffer)))
        (should (timerp agent-sessions--timer))
        (with-current-buffer buffer
          (agent-sessions-add-message "system" "be brief")
          (agent-sessions-test--type "a draft"))
        (should (equal (agent-sessions-test--stored-texts id) nil))
        (should (agent-sessions-test--wait
                 (lambda () (and (null (buffer-local-value 'agent-sessions--pending buffer))
                                 (equal (buffer-local-value 'agent-sessions--draft-saved buffer)
                                        "a draft")))))
        (should (equal (agent-sessions-test--stored-texts id) '("be brief")))
        (should (equal (plist-get (plist-get (agent-sessions-test--stored id) :metadata) :draft)
                       "a draft"))
        ;; The last chat buffer going takes the timer with it.
        (kill-buffer buffer)
        (should-not agent-sessions--timer)))))

(ert-deftest agent-sessions-test-kill-buffer-saves-and-a-reopened-buffer-has-the-draft ()
  "Killing a chat buffer stores what it held; opening the session brings the draft back."
  (agent-sessions-test--with-store
    (let* ((buffer (agent-sessions-chat))
           (id (buffer-local-value 'agent-sessions--id buffer)))
      (with-current-buffer buffer
        (agent-sessions-add-message "user" "kept")
        (agent-sessions-test--type "unsent words"))
      (kill-buffer buffer)
      (should (agent-sessions-test--wait
               (lambda () (equal (plist-get (plist-get (agent-sessions-test--stored id) :metadata)
                                            :draft)
                                 "unsent words"))
               30))
      (should (equal (agent-sessions-test--stored-texts id) '("kept")))
      (with-current-buffer (agent-sessions-chat id)
        (should (equal (agent-sessions--input-text) "unsent words"))
        (should (string-match-p "kept" (buffer-string)))))))

(ert-deftest agent-sessions-test-auto-save-off-keeps-changes-until-save ()
  "With auto-save off nothing is written until `agent-sessions-save'."
  (agent-sessions-test--with-store
    (let ((agent-sessions-auto-save nil))
      (let* ((a (agent-sessions-chat))
             (id (buffer-local-value 'agent-sessions--id a)))
        (with-current-buffer a
          (agent-sessions-add-message "user" "in memory")
          (agent-sessions-test--type "draft in memory"))
        (agent-sessions-chat)
        ;; Let every answer arrive: a switch must not have saved anything.
        (agent-sessions--call :session.current)
        (should (equal (agent-sessions-test--stored-texts id) nil))
        (should (buffer-local-value 'agent-sessions--pending a))
        (agent-sessions-save)
        (should (agent-sessions-test--wait
                 (lambda () (and (null (buffer-local-value 'agent-sessions--pending a))
                                 (buffer-local-value 'agent-sessions--draft-saved a)))))
        (should (equal (agent-sessions-test--stored-texts id) '("in memory")))
        (should (equal (plist-get (plist-get (agent-sessions-test--stored id) :metadata) :draft)
                       "draft in memory"))))))

(ert-deftest agent-sessions-test-killed-server-is-reported-and-the-buffer-keeps-its-text ()
  "A dead server gives one clear message; nothing in the buffer is lost."
  (agent-sessions-test--with-store
    (let* ((buffer (agent-sessions-chat))
           (id (buffer-local-value 'agent-sessions--id buffer))
           (process (jsonrpc--process agent-sessions--connection))
           (mark (agent-sessions-test--messages-mark))
           before)
      (with-current-buffer buffer
        (agent-sessions-add-message "user" "not stored yet")
        (agent-sessions-test--type "still typing"))
      ;; Let the deferred append reach the server, so it dies holding it.
      (agent-sessions--call :session.current)
      (setq before (with-current-buffer buffer (buffer-string)))
      (signal-process process 'KILL)
      (should (agent-sessions-test--wait (lambda () (null agent-sessions--connection))))
      (let ((log (agent-sessions-test--messages-log mark)))
        (should (string-match-p "agent-sessions: the server stopped" log))
        ;; One message, ours: jsonrpc's own "Server exited" line is kept quiet.
        (should (= 1 (cl-count-if (lambda (line) (string-match-p "server stopped\\|Server exited" line))
                                  (split-string log "\n")))))
      (with-current-buffer buffer
        (should (equal (buffer-string) before))
        (should (equal (agent-sessions--input-text) "still typing")))
      (should (equal (agent-sessions-test--stored-texts id) nil))
      ;; The next save starts a server and stores what the dead one lost.
      (agent-sessions-save)
      (should (agent-sessions-test--wait
               (lambda () (null (buffer-local-value 'agent-sessions--pending buffer)))))
      (should (equal (agent-sessions-test--stored-texts id) '("not stored yet")))
      (should (equal (plist-get (plist-get (agent-sessions-test--stored id) :metadata) :draft)
                     "still typing")))))

(ert-deftest agent-sessions-test-deferred-message-lost-with-the-server-is-sent-again ()
  "A deferred message the dead server held is sent to the next one, draft or not."
  (agent-sessions-test--with-store
    (let* ((buffer (agent-sessions-chat))
           (id (buffer-local-value 'agent-sessions--id buffer)))
      (with-current-buffer buffer
        (agent-sessions-add-message "user" "held by the first server"))
      (should (equal (plist-get (agent-sessions--call :session.current) :pending) 1))
      (signal-process (jsonrpc--process agent-sessions--connection) 'KILL)
      (should (agent-sessions-test--wait (lambda () (null agent-sessions--connection))))
      (agent-sessions-save)
      (should (agent-sessions-test--wait
               (lambda () (null (buffer-local-value 'agent-sessions--pending buffer)))))
      (should (equal (agent-sessions-test--stored-texts id) '("held by the first server"))))))

(ert-deftest agent-sessions-test-send-without-a-model-gives-the-text-back ()
  "A turn the server refuses (no model configured) stores nothing and loses nothing."
  (agent-sessions-test--with-store
    (let ((agent-sessions-model nil))
      (should-not (getenv "AGENT_SESSIONS_MODEL"))
      (with-current-buffer (agent-sessions-chat)
        (let ((id agent-sessions--id))
          (agent-sessions-test--type "a question for nobody")
          (agent-sessions-send-input)
          (should (agent-sessions-test--wait (lambda () (null agent-sessions--turn))))
          (should (equal (agent-sessions--input-text) "a question for nobody"))
          (should-not (string-match-p "interrupted" (buffer-string)))
          (should (string-match-p "agent-sessions: .*model" (agent-sessions-test--messages-log)))
          (should (equal (agent-sessions-test--stored-texts id) nil))
          (should-error (agent-sessions-send-and-wait "again") :type 'agent-sessions-error))))))

;;;; Chat turns (the fake OpenAI server; tests/AgentSessions.Emacs.Tests scripts it)

(defmacro agent-sessions-test--with-chat (&rest body)
  "Run BODY as `agent-sessions-test--with-store', set up for the test server."
  (declare (indent 0) (debug t))
  `(let ((agent-sessions-endpoint (getenv "AGENT_SESSIONS_ENDPOINT"))
         (agent-sessions-model (getenv "AGENT_SESSIONS_MODEL")))
     (unless agent-sessions-endpoint
       (error "Set AGENT_SESSIONS_ENDPOINT to the test server's URL"))
     (agent-sessions-test--with-store ,@body)))

(defun agent-sessions-test--stored-messages (id)
  "\"role: text\" of each message stored for session ID."
  (mapcar (lambda (m) (format "%s: %s" (plist-get m :role) (plist-get m :text)))
          (plist-get (agent-sessions-test--stored id) :messages)))

(ert-deftest agent-sessions-test-chat-two-turns-then-kill-buffer ()
  "Two turns in a chat buffer, the buffer killed: the store holds both turns.
The API key comes from an authinfo file, through `auth-source'."
  (let* ((authinfo (make-temp-file "agent-sessions-authinfo-"))
         (auth-sources (list authinfo))
         (auth-source-do-cache nil))
    (unwind-protect
        (progn
          (with-temp-file authinfo
            (insert (format "machine %s password sk-emacs-authinfo-key\n"
                            (url-host (url-generic-parse-url (getenv "AGENT_SESSIONS_ENDPOINT"))))))
          (should-not (getenv "AGENT_SESSIONS_API_KEY"))
          (agent-sessions-test--with-chat
            (let* ((buffer (agent-sessions-chat))
                   (id (buffer-local-value 'agent-sessions--id buffer)))
              (with-current-buffer buffer
                (should (equal (agent-sessions-send-and-wait "first question")
                               "You said: first question (messages: 1)"))
                (should (equal (agent-sessions-send-and-wait "second question")
                               "You said: second question (messages: 3)"))
                (should (string-match-p "You said: second question" (buffer-string)))
                (should (string-match-p ":4 ↑" mode-line-process)))
              (kill-buffer buffer)
              (should (equal (agent-sessions-test--stored-messages id)
                             '("user: first question"
                               "assistant: You said: first question (messages: 1)"
                               "user: second question"
                               "assistant: You said: second question (messages: 3)")))
              ;; The key is in no variable and no buffer of this Emacs.
              (should-not (cl-some (lambda (b) (with-current-buffer b
                                                 (save-excursion
                                                   (goto-char (point-min))
                                                   (search-forward "sk-emacs-authinfo-key" nil t))))
                                   (cl-remove-if (lambda (b) (equal (buffer-file-name b) authinfo))
                                                 (buffer-list)))))))
      (delete-file authinfo))))

(ert-deftest agent-sessions-test-chat-resume-first-process ()
  "The first Emacs: two turns in session AGENT_SESSIONS_TEST_SESSION, then exit."
  (agent-sessions-test--with-chat
    (let ((id (getenv "AGENT_SESSIONS_TEST_SESSION")))
      (with-current-buffer (agent-sessions-chat id)
        (should (equal agent-sessions--id id))
        (should (equal (agent-sessions-send-and-wait "one") "You said: one (messages: 1)"))
        (should (equal (agent-sessions-send-and-wait "two") "You said: two (messages: 3)"))
        (agent-sessions-test--type "a draft for the next Emacs")))
    ;; Leaving the way Emacs exits: the exit hook saves the draft.
    (agent-sessions--kill-emacs)))

(ert-deftest agent-sessions-test-chat-resume-second-process ()
  "A second Emacs opens the session: the transcript and draft are back, and a turn continues it."
  (agent-sessions-test--with-chat
    (let ((id (getenv "AGENT_SESSIONS_TEST_SESSION")))
      (with-current-buffer (agent-sessions-chat id)
        (should (string-match-p "You said: two (messages: 3)" (buffer-string)))
        (should (equal (agent-sessions--input-text) "a draft for the next Emacs"))
        (delete-region agent-sessions--input (point-max))
        (should (equal (agent-sessions-send-and-wait "three") "You said: three (messages: 5)")))
      (should (equal (length (agent-sessions-test--stored-messages id)) 6)))))

(ert-deftest agent-sessions-test-chat-cancel-keeps-the-partial ()
  "C-c C-k mid-stream: the partial answer stays, in the buffer and the store, marked interrupted."
  (agent-sessions-test--with-chat
    (with-current-buffer (agent-sessions-chat)
      (let ((id agent-sessions--id))
        (agent-sessions-test--type "tell me a long story")
        (agent-sessions-send-input)
        (should (equal (agent-sessions--input-text) ""))
        ;; Streamed: part of the answer is in the buffer before the turn ends.
        (should (agent-sessions-test--wait
                 (lambda () (string-match-p "w1 " (or (agent-sessions--turn-text agent-sessions--turn) "")))))
        (should (string-match-p "w1 " (buffer-string)))
        (agent-sessions-cancel)
        (should (agent-sessions-test--wait (lambda () (null agent-sessions--turn))))
        (should (string-match-p "\\[interrupted" (buffer-string)))
        (should-not (string-match-p "w200" (buffer-string)))
        (let* ((stored (plist-get (agent-sessions-test--stored id) :messages))
               (answer (aref stored 1)))
          (should (= (length stored) 2))
          (should (equal (plist-get answer :role) "assistant"))
          (should (string-prefix-p "w1 " (plist-get answer :text)))
          (should (plist-get (plist-get answer :metadata) agent-sessions--interrupted-key)))))))

(ert-deftest agent-sessions-test-chat-exit-mid-answer-stores-the-partial-and-the-draft ()
  "Emacs exiting mid-answer: the partial answer and the draft are stored before the server stops."
  (agent-sessions-test--with-chat
    (with-current-buffer (agent-sessions-chat)
      (let ((id agent-sessions--id))
        (agent-sessions-test--type "tell me a long story")
        (agent-sessions-send-input)
        (should (agent-sessions-test--wait
                 (lambda () (string-match-p "w1 " (or (agent-sessions--turn-text agent-sessions--turn) "")))))
        (agent-sessions-test--type "what I was typing")
        (agent-sessions--kill-emacs)
        ;; Stored when the hook returns; the server ends on the exit it was sent.
        (should (agent-sessions-test--wait (lambda () (not (agent-sessions--running-p)))))
        (let* ((stored (agent-sessions-test--stored id))
               (messages (plist-get stored :messages)))
          (should (= (length messages) 2))
          (should (string-prefix-p "w1 " (plist-get (aref messages 1) :text)))
          (should (plist-get (plist-get (aref messages 1) :metadata) agent-sessions--interrupted-key))
          (should (equal (plist-get (plist-get stored :metadata) :draft) "what I was typing")))))))

(ert-deftest agent-sessions-test-chat-server-killed-mid-answer-keeps-the-partial ()
  "The server dies mid-answer: one clear message, the partial and the question stay in the buffer."
  (agent-sessions-test--with-chat
   (let (mark)
     (with-current-buffer (agent-sessions-chat)
       (agent-sessions-test--type "tell me a long story")
       (agent-sessions-send-input)
       (should (agent-sessions-test--wait
		(lambda () (string-match-p "w1 " (or (agent-sessions--turn-text agent-sessions--turn) "")))))
       (agent-sessions-test--type "my next question")
       (setq mark (agent-sessions-test--messages-mark))
       (signal-process (jsonrpc--process agent-sessions--connection) 'KILL)
       (should (agent-sessions-test--wait (lambda () (null agent-sessions--turn))))
       (let ((text (buffer-string)))
         (should (string-match-p "tell me a long story" text))
         (should (string-match-p "w1 " text))
         (should (string-match-p "\\[interrupted" text)))
       (should (equal (agent-sessions--input-text) "my next question"))
       (should (= 1 (cl-count-if (lambda (line) (string-match-p "agent-sessions: the server stopped" line))
                                 (split-string (agent-sessions-test--messages-log mark) "\n"))))
       ;; The next turn starts a new server, which has the question stored.
       (delete-region agent-sessions--input (point-max))
       (should (string-prefix-p "You said: again" (agent-sessions-send-and-wait "again")))))))

(ert-deftest agent-sessions-test-chat-model-text-is-neutralised ()
  "Escapes and bidi controls in an answer are shown as visible escapes, never raw."
  (agent-sessions-test--with-chat
    (with-current-buffer (agent-sessions-chat)
      (let ((answer (agent-sessions-send-and-wait "colour me")))
        ;; Scripts get the text as the model sent it; the buffer never shows it raw.
        (should (string-match-p "\e\\[2J" answer))
        (let ((text (buffer-string)))
          (should (string-match-p (regexp-quote "\\x1b[2J") text))
          (should (string-match-p (regexp-quote "\\x07") text))
          (should (string-match-p (regexp-quote "\\u202e") text))
          (should (string-match-p (regexp-quote "\\r fake") text))
          (should-not (string-match-p "[\e\a\r\u202e]" text)))))))

(provide 'agent-sessions-test)
;;; agent-sessions-test.el ends here
