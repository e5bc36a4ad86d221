;;; agent-sessions.el --- Chat with models, stored durably  -*- lexical-binding: t; -*-

;; Copyright (C) 2026 The AgentSessions contributors

;; Author: The AgentSessions contributors
;; Version: 0.1.0
;; Package-Requires: ((emacs "28.1"))
;; Keywords: tools, convenience

;; This file is not part of GNU Emacs.

;;; Commentary:

;; An Emacs front end for AgentSessions: chat with a model in an Emacs
;; buffer while every message is stored in an AgentSessions store.  It
;; talks to `agent-sessions rpc' (JSON-RPC 2.0 over the server's standard
;; input and output, docs/protocol.md) with Emacs's built-in jsonrpc.el,
;; and needs nothing else.
;;
;; Commands:
;;
;;   `agent-sessions-chat'      open (or create) a session's chat buffer
;;   `agent-sessions-list'      the sessions: open, rename, tag, pin,
;;                              delete, export
;;   `agent-sessions-search'    full-text search over every session
;;   `agent-sessions-export'    write a session to a file
;;   `agent-sessions-undo', `agent-sessions-redo', `agent-sessions-fork',
;;   `agent-sessions-snapshot', `agent-sessions-add-message',
;;   `agent-sessions-save'
;;
;; In a chat buffer, type below the line and press C-c C-c to send;
;; C-c C-k stops the answer in progress (what came stays, marked
;; interrupted).  Scripts call `agent-sessions-send-and-wait'.
;;
;; Durability: every message the server acknowledged is already stored.
;; What the buffer still holds (the unsent input, kept as the session's
;; `draft' metadata, and messages added with `agent-sessions-add-message',
;; which are appended in deferred mode) is saved by a timer
;; (`agent-sessions-auto-save-interval'), when the chat buffer is
;; killed, when Emacs exits and on every session switch, without
;; waiting for the answer (only the exit waits, a few seconds at most).
;;
;; The API key is never kept in a variable: it comes from the
;; environment (OPENAI_API_KEY or AGENT_SESSIONS_API_KEY) or from
;; `auth-source' (an entry for the endpoint's host), and reaches the
;; server through its environment only.

;;; Code:

(require 'cl-lib)
(require 'jsonrpc)
(require 'subr-x)
(require 'rx)
(require 'seq)
(require 'button)
(require 'tabulated-list)
(require 'auth-source)
(require 'url-parse)

(defconst agent-sessions-version "0.1.0"
  "The version of agent-sessions.el.")

;;;; Settings

(defgroup agent-sessions nil
  "Chat sessions stored by AgentSessions."
  :group 'tools
  :prefix "agent-sessions-")

(defcustom agent-sessions-program "agent-sessions"
  "The `agent-sessions' command: a program, or a program and arguments.
The list form runs a build of the tool, for example
\\='(\"dotnet\" \"/path/to/agent-sessions.dll\").  `rpc' and the store
are added after it."
  :type '(choice (string :tag "Program")
                 (repeat :tag "Program and arguments" string)))

(defcustom agent-sessions-store nil
  "The store directory, or nil for the tool's default.
The default is $AGENT_SESSIONS_HOME, else ~/.local/share/agent-sessions."
  :type '(choice (const :tag "The tool's default" nil) directory))

(defcustom agent-sessions-endpoint nil
  "The OpenAI-compatible endpoint's URL, or nil for the server's default.
The server's default is $AGENT_SESSIONS_ENDPOINT, else OpenAI's."
  :type '(choice (const :tag "The server's default" nil) string))

(defcustom agent-sessions-model nil
  "The model to chat with, or nil for $AGENT_SESSIONS_MODEL."
  :type '(choice (const :tag "The server's default" nil) string))

(defcustom agent-sessions-auto-save t
  "Whether what the buffers hold is saved without being asked.
When t, the timer, killing a chat buffer, exiting Emacs and every
session switch save the input draft and the messages added with
`agent-sessions-add-message'.  When nil they stay in memory until
`agent-sessions-save' (or sending a message) writes them.  What the
server acknowledged (a chat turn) is stored either way."
  :type 'boolean)

(defcustom agent-sessions-auto-save-interval 300
  "Seconds between automatic saves; 0 means no timer.
Killing a buffer, exiting Emacs and switching sessions still save."
  :type 'natnum)

(defcustom agent-sessions-request-timeout 30
  "Seconds to wait for the server to answer a request about the store."
  :type 'number)

(defcustom agent-sessions-answer-timeout 600
  "Seconds a model's answer may take before the turn gives up."
  :type 'number)

(defcustom agent-sessions-max-messages 500
  "The most messages a chat buffer shows (the latest ones)."
  :type 'natnum)

(defcustom agent-sessions-events-buffer-size 100000
  "Characters kept in the jsonrpc events buffer (0 keeps none)."
  :type 'natnum)

;;;; Faces

(defface agent-sessions-user '((t :inherit font-lock-keyword-face :weight bold))
  "The header of a user message.")

(defface agent-sessions-assistant '((t :inherit font-lock-function-name-face :weight bold))
  "The header of an assistant message.")

(defface agent-sessions-system '((t :inherit font-lock-comment-face :weight bold))
  "The header of a system or tool message.")

(defface agent-sessions-code '((t :inherit fixed-pitch :extend t
                                  :background "gray20"))
  "A code block in a message.")

(defface agent-sessions-inline-code '((t :inherit font-lock-constant-face))
  "Inline `code' in a message.")

(defface agent-sessions-fold '((t :inherit font-lock-doc-face))
  "The summary line of a folded tool call, tool result or reasoning.")

(defface agent-sessions-note '((t :inherit warning))
  "Marks: interrupted, not saved yet, errors.")

(defface agent-sessions-separator '((t :inherit shadow))
  "The line between the transcript and the input.")

;;;; Text from others

(defconst agent-sessions--unsafe-regexp
  (rx (any (0 . 8) (11 . 31) (127 . 159) (#x202a . #x202e) (#x2066 . #x2069)))
  "Characters a buffer must not show raw (tab and newline are kept).")

(defconst agent-sessions--unsafe-line-regexp
  (rx (any (0 . 31) (127 . 159) (#x202a . #x202e) (#x2066 . #x2069)))
  "Characters a one-line value must not show raw.")

(defun agent-sessions--neutralize (text &optional single-line)
  "TEXT with control characters written as visible escapes.
Model output, titles and tool results are written by others: ESC,
the C0 and C1 controls, DEL, a lone CR and the bidi controls
become \\x1b, \\r, \\u202e and the like, as the CLI writes them.
CR LF becomes a newline.  With SINGLE-LINE, newlines and tabs are
escaped too, so a title cannot break a line of the mode line or a
table."
  (if (not (stringp text))
      ""
    (replace-regexp-in-string
     (if single-line agent-sessions--unsafe-line-regexp
       agent-sessions--unsafe-regexp)
     (lambda (match)
       (let ((c (aref match 0)))
         (pcase c
           (?\n "\\n") (?\t "\\t") (?\r "\\r")
           ((pred (> #x100)) (format "\\x%02x" c))
           (_ (format "\\u%04x" c)))))
     (replace-regexp-in-string "\r\n" "\n" text t t)
     t t)))

;;;; Buffer state

(defvar-local agent-sessions--id nil
  "The id of this chat buffer's session.")

(defvar-local agent-sessions--session nil
  "This buffer's session, as the server last described it (a plist).")

(defvar-local agent-sessions--end nil
  "The end of the transcript (a marker that advances on insertion).")

(defvar-local agent-sessions--input nil
  "The start of the input area (a marker).")

(defvar-local agent-sessions--pending nil
  "Messages added here and not stored yet, oldest first.
Each is (MESSAGE . GENERATION): GENERATION is the server holding
it deferred, nil when no server holds it.")

(defvar-local agent-sessions--draft-saved nil
  "The draft as last saved (nil: none stored).")

(defvar-local agent-sessions--turn nil
  "The turn in progress: a plist (:request :from :chunks :result :error).
:chunks holds the answer's pieces as they came, newest first; see
`agent-sessions--turn-text'.")

(defvar-local agent-sessions--status nil
  "A word for the mode line: streaming, or nil.")

;;;; The server

(define-error 'agent-sessions-error "agent-sessions" 'user-error)

(defvar agent-sessions--connection nil
  "The connection to `agent-sessions rpc', or nil before the first use.")

(defvar agent-sessions--current nil
  "The id of the server's current session, as far as requests sent tell.")

(defvar agent-sessions--generation 0
  "How many servers this Emacs started.
A deferred message sent to an earlier server died with it and is
sent again.")

(defvar agent-sessions--stopping nil
  "Non-nil while this Emacs stops the server itself.")

(defvar agent-sessions--timer nil
  "The auto-save timer, while a chat buffer exists.")

(defun agent-sessions--command ()
  "The command line that starts the server."
  (append (if (stringp agent-sessions-program)
              (list agent-sessions-program)
            agent-sessions-program)
          '("rpc")
          (when agent-sessions-store
            (list "--store" (expand-file-name agent-sessions-store)))))

(defun agent-sessions--endpoint-host ()
  "The host of the endpoint, for `auth-source'."
  (let ((url (or agent-sessions-endpoint (getenv "AGENT_SESSIONS_ENDPOINT")
                 "https://api.openai.com/v1")))
    (url-host (url-generic-parse-url url))))

(defun agent-sessions--auth-source-key ()
  "The API key from `auth-source', when the environment has none."
  (unless (or (getenv "OPENAI_API_KEY") (getenv "AGENT_SESSIONS_API_KEY"))
    (when-let ((host (agent-sessions--endpoint-host)))
      (ignore-errors (auth-source-pick-first-password :host host)))))

(defun agent-sessions--chat-options ()
  "The `initializationOptions' of `initialize': endpoint and model.
The API key is not among them: the server gets it through its
environment, so it never passes through the events buffer."
  (let ((chat (append (when agent-sessions-endpoint
                        (list :endpoint agent-sessions-endpoint))
                      (when agent-sessions-model
                        (list :model agent-sessions-model)))))
    (when chat (list :initializationOptions (list :chat chat)))))

(defun agent-sessions--running-p ()
  "Whether the server is running."
  (and agent-sessions--connection
       (jsonrpc-running-p agent-sessions--connection)))

(defun agent-sessions--connection ()
  "The running server's connection, starting the server when needed."
  (if (agent-sessions--running-p)
      agent-sessions--connection
    (agent-sessions--start)))

(defun agent-sessions--start ()
  "Start `agent-sessions rpc' and initialize it; return the connection."
  (let* ((command (agent-sessions--command))
         (key (agent-sessions--auth-source-key))
         (process-environment
          (if key
              (cons (concat "AGENT_SESSIONS_API_KEY=" key) process-environment)
            process-environment))
         (conn
          (condition-case err
              (let ((make
                     (lambda (&rest events)
                       (apply
                        #'make-instance
                        'jsonrpc-process-connection
                        :name "agent-sessions"
                        :notification-dispatcher #'agent-sessions--dispatch-notification
                        :request-dispatcher #'agent-sessions--dispatch-request
                        :on-shutdown #'agent-sessions--on-shutdown
                        :process
                        (lambda ()
                          (make-process
                           :name "agent-sessions" :command command
                           :connection-type 'pipe :coding 'utf-8-emacs-unix
                           :noquery t
                           :stderr (get-buffer-create "*agent-sessions stderr*")))
                        events))))
                ;; jsonrpc 1.0.18 (Emacs 30) renamed the events buffer's
                ;; setting; Emacs 28's knows only the old name.
                (condition-case nil
                    (funcall make :events-buffer-config
                             (list :size agent-sessions-events-buffer-size))
                  (invalid-slot-name
                   (funcall make :events-buffer-scrollback-size
                            agent-sessions-events-buffer-size))))
            (error
             (signal 'agent-sessions-error
                     (list (format "cannot start %s (%s); set `agent-sessions-program'"
                                   (string-join command " ")
                                   (error-message-string err))))))))
    (condition-case err
        (jsonrpc-request conn :initialize
                         (append (list :processId (emacs-pid)
                                       :clientInfo (list :name "agent-sessions.el"
                                                         :version agent-sessions-version))
                                 (agent-sessions--chat-options))
                         :timeout agent-sessions-request-timeout)
      (jsonrpc-error
       (let ((stderr (agent-sessions--last-stderr-line conn)))
         (ignore-errors (jsonrpc-shutdown conn))
         (signal 'agent-sessions-error
                 (list (format "the server did not start: %s"
                               (or stderr (agent-sessions--error-text (cdr err)))))))))
    (agent-sessions--quiet-sentinel (jsonrpc--process conn))
    ;; Set only now: a server that dies while starting is reported by the error above, not twice.
    (setq agent-sessions--connection conn
          agent-sessions--current nil
          agent-sessions--stopping nil)
    (cl-incf agent-sessions--generation)
    conn))

(defun agent-sessions--quiet-sentinel (process)
  "Keep jsonrpc's own \"Server exited\" line off PROCESS's end.
`agent-sessions--on-shutdown' says it once, in words that say what
to do; two messages for one event read like two problems."
  (let ((sentinel (process-sentinel process)))
    (set-process-sentinel
     process
     (lambda (proc change)
       (cl-letf (((symbol-function 'jsonrpc--message) #'ignore))
         (funcall sentinel proc change))))))

(defun agent-sessions--last-stderr-line (conn)
  "The last line the server CONN wrote to its stderr, or nil."
  (let ((buffer (ignore-errors (process-get (jsonrpc--process conn) 'jsonrpc-stderr))))
    (when (buffer-live-p buffer)
      (with-current-buffer buffer
        (let ((text (string-trim (buffer-string))))
          (unless (string-empty-p text)
            (agent-sessions--neutralize (car (last (split-string text "\n" t))) t)))))))

(defun agent-sessions--stop ()
  "Stop the server, if it runs, without a message.
It is asked first (`shutdown' stores its deferred messages, `exit'
ends it) and killed only if it does not end within seconds."
  (when (agent-sessions--running-p)
    (let* ((conn agent-sessions--connection)
           (process (jsonrpc--process conn)))
      (setq agent-sessions--stopping t)
      (ignore-errors
        (jsonrpc-request conn :shutdown nil :timeout 5)
        (jsonrpc-notify conn :exit nil)
        (let ((deadline (+ (float-time) 5)))
          (while (and (process-live-p process) (< (float-time) deadline))
            (accept-process-output process 0.05))))
      (ignore-errors (jsonrpc-shutdown conn))))
  (setq agent-sessions--connection nil agent-sessions--current nil))

;;;###autoload
(defun agent-sessions-stop-server ()
  "Save what the chat buffers hold, then stop the server.
The next command starts it again."
  (interactive)
  (when agent-sessions-auto-save (agent-sessions--save-all))
  (agent-sessions--stop))

(defun agent-sessions--on-shutdown (conn)
  "The server CONN ended: say so once, unless this Emacs stopped it."
  (when (eq conn agent-sessions--connection)
    (unless agent-sessions--stopping
      (let ((status (ignore-errors (process-exit-status (jsonrpc--process conn)))))
        (message "agent-sessions: the server stopped%s; nothing in your buffers is lost, and the next command starts it again"
                 (if status (format " (exit %s)" status) ""))))
    (setq agent-sessions--connection nil agent-sessions--current nil)
    (dolist (buffer (agent-sessions--chat-buffers))
      (with-current-buffer buffer
        (when agent-sessions--turn
          (agent-sessions--turn-failed
           (list :code -1 :message "the server stopped")))))))

(defun agent-sessions--dispatch-notification (_conn method params)
  "Handle the server's notification METHOD with PARAMS."
  (pcase method
    ('chat.delta (agent-sessions--on-delta params))
    (_ nil)))

(defun agent-sessions--dispatch-request (_conn method _params)
  "The server asks nothing of its client; refuse METHOD."
  (jsonrpc-error :code -32601 :message (format "no method %s" method)))

(defun agent-sessions--error-text (data)
  "One line from a jsonrpc error's DATA (an alist or a plist)."
  (agent-sessions--neutralize
   (format "%s"
           (cond ((and (consp data) (keywordp (car data)))
                  (plist-get data :message))
                 ((consp data)
                  (or (alist-get 'jsonrpc-error-message data)
                      (cl-find-if #'stringp data)))
                 (t data)))
   t))

(defun agent-sessions--call (method &optional params timeout)
  "Send METHOD with PARAMS and wait for its result (a plist).
Wait at most TIMEOUT seconds (`agent-sessions-request-timeout').
A server error becomes an `agent-sessions-error' with its message."
  (condition-case err
      (jsonrpc-request (agent-sessions--connection) method params
                       :timeout (or timeout agent-sessions-request-timeout))
    (jsonrpc-error
     (signal 'agent-sessions-error
             (list (agent-sessions--error-text (cdr err)))))))

(cl-defun agent-sessions--async (method params &key then else)
  "Send METHOD with PARAMS without waiting.
THEN gets the result, ELSE the error plist.  Without ELSE, an error
is shown as one message (a dead server is reported once, by the
server's own end)."
  (let ((conn (agent-sessions--connection)))
    (jsonrpc-async-request
     conn method params
     ;; No timeout: a request queued behind a long answer is still answered,
     ;; and what it saves stays in the buffer until it is.
     :timeout nil
     :success-fn (lambda (result) (when then (funcall then result)))
     :error-fn (lambda (error)
                 (cond (else (funcall else error))
                       ((eql (plist-get error :code) -1))
                       (t (message "agent-sessions: %s failed: %s" method
                                   (agent-sessions--error-text error))))))))

;;;; Sessions

(defun agent-sessions--chat-buffers (&optional except)
  "The live chat buffers, but EXCEPT."
  (cl-loop for buffer in (buffer-list)
           when (and (not (eq buffer except))
                     (buffer-local-value 'agent-sessions--id buffer)
                     (eq (buffer-local-value 'major-mode buffer)
                         'agent-sessions-chat-mode))
           collect buffer))

(defun agent-sessions--buffer-for (id)
  "The chat buffer of session ID, or nil."
  (cl-find id (agent-sessions--chat-buffers)
           :key (lambda (b) (buffer-local-value 'agent-sessions--id b))
           :test #'equal))

(defun agent-sessions--title (session)
  "SESSION's title for one line."
  (agent-sessions--neutralize
   (or (plist-get session :title) "(untitled)") t))

(defun agent-sessions--sessions (&optional limit)
  "The sessions, newest first (at most LIMIT, default 200)."
  (append (plist-get (agent-sessions--call
                      :session.list (list :limit (or limit 200)))
                     :sessions)
          nil))

(defvar agent-sessions--candidates (make-hash-table :test #'equal)
  "Completion candidate -> session id, for the last completion.")

(defun agent-sessions--candidate (title id)
  "The completion candidate for a session with TITLE and ID."
  (let ((candidate (format "%s  (%s)" title id)))
    (puthash candidate id agent-sessions--candidates)
    candidate))

(defun agent-sessions--session-candidates (string)
  "Candidates for STRING: newest sessions, or the server's search hits."
  (let ((query (string-trim string)))
    (if (string-empty-p query)
        (mapcar (lambda (s) (agent-sessions--candidate
                             (agent-sessions--title s) (plist-get s :id)))
                (agent-sessions--sessions))
      (let* ((words (split-string query "[ \t]+" t))
             ;; The last word is still being typed: match it as a prefix.
             (search (if (string-match-p "[\"*]" query) query
                       (concat query "*")))
             (hits (condition-case nil
                       (append (plist-get (agent-sessions--call
                                           :session.search
                                           (list :query search :limit 50))
                                          :hits)
                               nil)
                     (agent-sessions-error nil)))
             (seen (make-hash-table :test #'equal))
             (result nil))
        (dolist (s (agent-sessions--sessions))
          (let ((title (agent-sessions--title s)))
            (when (cl-every (lambda (w) (or (string-match-p (regexp-quote w) title)
                                            (string-match-p (regexp-quote w)
                                                            (plist-get s :id))))
                            words)
              (puthash (plist-get s :id) t seen)
              (push (agent-sessions--candidate title (plist-get s :id)) result))))
        (dolist (hit hits)
          (let ((id (plist-get hit :sessionId)))
            (unless (gethash id seen)
              (puthash id t seen)
              (push (agent-sessions--candidate
                     (agent-sessions--neutralize
                      (or (plist-get hit :sessionTitle) "(untitled)") t)
                     id)
                    result))))
        (nreverse result)))))

(defun agent-sessions--completion-table (string pred action)
  "A completion table over the sessions matching STRING (see `completing-read').
PRED and ACTION as for any table.  Candidates come from the server:
the typed text is searched there, so they need not start with it."
  (cond
   ((eq action 'metadata)
    '(metadata (category . agent-session)
               (display-sort-function . identity)
               (cycle-sort-function . identity)))
   ((eq (car-safe action) 'boundaries) nil)
   (t
    (let ((all (agent-sessions--session-candidates string)))
      (pcase action
        ('t (if pred (cl-remove-if-not pred all) all))
        ('lambda (and (member string all) t))
        (_ (cond ((member string all) t)
                 (all string))))))))

(defun agent-sessions--style-try (string table pred point)
  "The `agent-sessions' completion style's try function (STRING TABLE PRED POINT)."
  (let ((result (funcall table string pred nil)))
    (if (stringp result) (cons result point) result)))

(defun agent-sessions--style-all (string table pred _point)
  "The `agent-sessions' completion style: every candidate TABLE has for STRING.
PRED filters them."
  (funcall table string pred t))

(add-to-list 'completion-styles-alist
             '(agent-sessions agent-sessions--style-try agent-sessions--style-all
                              "The sessions the server found for the text typed."))

(defun agent-sessions--read-session (prompt &optional allow-empty)
  "Ask for a session with PROMPT; return its id.
Completion lists the sessions newest first; typing searches them
through the server (titles and message text).  With ALLOW-EMPTY,
an empty answer returns \"\"."
  (clrhash agent-sessions--candidates)
  (let* ((completion-styles '(agent-sessions))
         (completion-category-overrides nil)
         (choice (completing-read prompt #'agent-sessions--completion-table)))
    (or (gethash choice agent-sessions--candidates)
        (and (string-match "(\\([^()]+\\))\\'" choice) (match-string 1 choice))
        (let ((trimmed (string-trim choice)))
          (if (string-empty-p trimmed)
              (if allow-empty "" (user-error "No session chosen"))
            trimmed)))))

;;;; Rendering

(defun agent-sessions--role-face (role)
  "The face of a message header for ROLE."
  (pcase role
    ("user" 'agent-sessions-user)
    ("assistant" 'agent-sessions-assistant)
    (_ 'agent-sessions-system)))

(defun agent-sessions--fontify-body (start end)
  "Give code blocks and inline code between START and END their faces."
  (save-excursion
    (goto-char start)
    (let ((open nil))
      (while (re-search-forward "^[ \t]*```" end t)
        (if open
            (progn (put-text-property open (min end (1+ (line-end-position)))
                                      'face 'agent-sessions-code)
                   (setq open nil))
          (setq open (line-beginning-position)))
        (forward-line 1))
      (when open
        (put-text-property open end 'face 'agent-sessions-code)))
    (goto-char start)
    (while (re-search-forward "`\\([^`\n]+\\)`" end t)
      (unless (get-text-property (match-beginning 0) 'face)
        (put-text-property (match-beginning 0) (match-end 0)
                           'face 'agent-sessions-inline-code)))))

(defun agent-sessions--toggle-fold (button)
  "Show or hide the details under BUTTON."
  (let ((overlay (button-get button 'fold)))
    (overlay-put overlay 'invisible (not (overlay-get overlay 'invisible)))))

(defun agent-sessions--insert-folded (summary details)
  "Insert SUMMARY as a button that shows or hides DETAILS (folded at first)."
  (insert-text-button (concat "▸ " (agent-sessions--neutralize summary t))
                      'face 'agent-sessions-fold
                      'follow-link t
                      'help-echo "RET: show or hide"
                      'action #'agent-sessions--toggle-fold)
  (let ((button (button-at (1- (point)))))
    (insert "\n")
    (let ((start (point)))
      (insert (agent-sessions--neutralize details) "\n")
      (let ((overlay (make-overlay start (point))))
        (overlay-put overlay 'invisible t)
        (overlay-put overlay 'evaporate t)
        (button-put button 'fold overlay)))))

(defun agent-sessions--json-text (value)
  "VALUE as text: itself when a string, else JSON."
  (if (stringp value) value
    (condition-case nil
        (json-serialize value :null-object nil :false-object :json-false)
      (error (format "%S" value)))))

(defun agent-sessions--insert-part (part)
  "Insert one content PART of a message."
  (pcase (plist-get part :type)
    ("text"
     (let ((start (point)))
       (insert (agent-sessions--neutralize (plist-get part :text)))
       (unless (bolp) (insert "\n"))
       (agent-sessions--fontify-body start (point))))
    ("reasoning"
     (agent-sessions--insert-folded "reasoning" (or (plist-get part :text) "")))
    ("toolCall"
     (agent-sessions--insert-folded
      (format "tool call: %s" (or (plist-get part :name) "?"))
      (agent-sessions--json-text (plist-get part :arguments))))
    ("toolResult"
     (agent-sessions--insert-folded
      (format "tool result%s" (if (plist-get part :callId)
                                  (format " (%s)" (plist-get part :callId)) ""))
      (agent-sessions--json-text (plist-get part :result))))
    (type
     (insert (agent-sessions--neutralize (format "[%s]" type) t) "\n"))))

(defconst agent-sessions--interrupted-key (intern ":agent_sessions.interrupted")
  "The metadata key of an answer that stopped early.")

(defun agent-sessions--insert-message (message &optional item)
  "Insert MESSAGE (a plist as the server writes it) at point.
ITEM, an entry of `agent-sessions--pending', marks it not saved yet."
  (let* ((role (plist-get message :role))
         (interrupted (plist-get (plist-get message :metadata)
                                 agent-sessions--interrupted-key))
         (start (point)))
    (insert (propertize (capitalize (or role "?")) 'face (agent-sessions--role-face role)))
    (when (plist-get message :model)
      (insert (propertize (format " · %s" (agent-sessions--neutralize
                                             (plist-get message :model) t))
                          'face 'shadow)))
    (when item
      (insert (propertize " (not saved yet)" 'face 'agent-sessions-note
                          'agent-sessions-unsaved item)))
    (insert "\n")
    (let ((parts (plist-get message :parts)))
      (if (and parts (> (length parts) 0))
          (mapc #'agent-sessions--insert-part parts)
        (agent-sessions--insert-part
         (list :type "text" :text (or (plist-get message :text) "")))))
    (when interrupted
      (insert (propertize (format "[interrupted: %s]\n"
                                  (agent-sessions--neutralize
                                   (format "%s" interrupted) t))
                          'face 'agent-sessions-note)))
    (insert "\n")
    (put-text-property start (point) 'agent-sessions-seq (plist-get message :seq))))

(defmacro agent-sessions--at-end (&rest body)
  "Run BODY with point at the transcript's end, the text read-only after."
  (declare (indent 0) (debug t))
  (let ((start (make-symbol "start")))
    `(let ((inhibit-read-only t)
           (,start (copy-marker agent-sessions--end)))
       (save-excursion
         (goto-char agent-sessions--end)
         ,@body
         (add-text-properties ,start agent-sessions--end
                              '(read-only t front-sticky (read-only))))
       (set-marker ,start nil))))

(defun agent-sessions--format-tokens (n)
  "N tokens, short: 950, 3.4k, 1.2M."
  (let ((n (or n 0)))
    (cond ((< n 1000) (format "%d" n))
          ((< n 1000000) (format "%.1fk" (/ n 1000.0)))
          (t (format "%.1fM" (/ n 1000000.0))))))

(defun agent-sessions--update-mode-line ()
  "Show the session's title, size and tokens in the mode line."
  (let ((s agent-sessions--session))
    ;; A variable whose value is a string is shown verbatim, with no
    ;; %-constructs (see Info node `(elisp) Mode Line Data'): a title such as
    ;; "50%-off" needs no %% escaping here, and an escape would show as %%.
    ;; It must stay a string; in a list its `%' would be constructs.
    (setq mode-line-process
          (concat " "
                  (format "[%s:%d ↑%s ↓%s]"
                          (truncate-string-to-width (agent-sessions--title s) 24 nil nil "…")
                          (or (plist-get s :messageCount) 0)
                          (agent-sessions--format-tokens (plist-get s :inputTokens))
                          (agent-sessions--format-tokens (plist-get s :outputTokens)))
                  (if agent-sessions--pending
                      (format " %d unsaved" (length agent-sessions--pending)) "")
                  (if agent-sessions--status (format " %s" agent-sessions--status) "")))
    (force-mode-line-update)))

(defun agent-sessions--header (session)
  "The first line of SESSION's buffer: its title and id."
  (propertize (format "%s  (%s)\n" (agent-sessions--title session)
                      (agent-sessions--neutralize (plist-get session :id) t))
              'face 'bold 'agent-sessions-header t))

(defun agent-sessions--update-header ()
  "Show the session's title as it is now on the buffer's first line."
  (let ((inhibit-read-only t))
    (save-excursion
      (goto-char (point-min))
      (when (get-text-property (point) 'agent-sessions-header)
        (delete-region (point) (next-single-property-change (point) 'agent-sessions-header
                                                            nil (point-max)))
        (insert (propertize (agent-sessions--header agent-sessions--session)
                            'read-only t 'front-sticky '(read-only)))))))

(defun agent-sessions--input-text ()
  "The text of the input area."
  (buffer-substring-no-properties agent-sessions--input (point-max)))

(defun agent-sessions--render (loaded)
  "Fill the buffer from LOADED (a session.load result), keeping the input."
  (let* ((inhibit-read-only t)
         (input (and agent-sessions--input (agent-sessions--input-text)))
         ;; Point stays where it was in the input, or on the same message.
         (in-input (and agent-sessions--input (>= (point) agent-sessions--input)
                        (- (point) agent-sessions--input)))
         (seq (get-text-property (point) 'agent-sessions-seq)))
    (erase-buffer)
    (remove-overlays)
    (setq agent-sessions--session loaded)
    (setq agent-sessions--end (point-min-marker))
    (set-marker-insertion-type agent-sessions--end t)
    (insert (agent-sessions--header loaded) "\n")
    (let ((shown (length (plist-get loaded :messages)))
          (count (or (plist-get loaded :messageCount) 0)))
      (when (< shown count)
        (insert (propertize (format "(%d earlier messages not shown)\n\n" (- count shown))
                            'face 'shadow))))
    (set-marker agent-sessions--end (point))
    (add-text-properties (point-min) (point) '(read-only t front-sticky (read-only)))
    (agent-sessions--at-end
      (mapc #'agent-sessions--insert-message (plist-get loaded :messages))
      (dolist (item agent-sessions--pending)
        (agent-sessions--insert-message (car item) item)))
    (goto-char (point-max))
    ;; The transcript grows before the separator: the end marker must not move past it.
    (set-marker-insertion-type agent-sessions--end nil)
    (insert (propertize "──── C-c C-c send · C-c C-k stop ────\n"
                        'face 'agent-sessions-separator
                        'read-only t 'front-sticky '(read-only)
                        'rear-nonsticky t))
    (set-marker-insertion-type agent-sessions--end t)
    (setq agent-sessions--input (point-marker))
    (insert (or input ""))
    (goto-char (cond (in-input (min (point-max) (+ agent-sessions--input in-input)))
                     ((and seq (text-property-any (point-min) (point-max)
                                                  'agent-sessions-seq seq)))
                     (t (point-max))))
    (agent-sessions--update-mode-line)))

(defun agent-sessions--load (id)
  "Load session ID: its fields and its latest messages."
  (let* ((session (agent-sessions--call :session.metadata (list :id id)))
         (count (or (plist-get session :messageCount) 0))
         (from (max 1 (- count agent-sessions-max-messages -1))))
    (agent-sessions--call :session.load (list :id id :from from))))

(defun agent-sessions--refresh (&optional buffer)
  "Reload BUFFER (default the current one) from the store."
  (with-current-buffer (or buffer (current-buffer))
    (agent-sessions--render (agent-sessions--load agent-sessions--id))))

;;;; Saving

(defun agent-sessions--ensure-current (id)
  "Make ID the server's current session, without waiting.
The server saves the old current session's deferred messages first;
the draft of the buffer being left is saved with them."
  (agent-sessions--connection)
  (unless (equal agent-sessions--current id)
    (let ((old agent-sessions--current)
          (generation agent-sessions--generation))
      (when-let ((old-buffer (and old (agent-sessions--buffer-for old))))
        (when agent-sessions-auto-save
          (agent-sessions--save-draft old-buffer)))
      (setq agent-sessions--current id)
      (agent-sessions--async
       :session.switch (list :id id)
       :then (lambda (result)
               (when (> (or (plist-get result :saved) 0) 0)
                 (agent-sessions--forget-saved old generation)))
       :else (lambda (error)
               (when (equal agent-sessions--current id)
                 (setq agent-sessions--current nil))
               (unless (eql (plist-get error :code) -1)
                 (message "agent-sessions: could not switch to %s: %s"
                          (agent-sessions--neutralize id t)
                          (agent-sessions--error-text error))))))))

(defun agent-sessions--forget-saved (id generation &optional items)
  "The pending messages of session ID held by server GENERATION are stored.
With ITEMS, only those of them."
  (when-let ((buffer (and id (agent-sessions--buffer-for id))))
    (with-current-buffer buffer
      (let ((saved (cl-remove-if-not
                    (lambda (item) (and (eql (cdr item) generation)
                                        (or (null items) (memq item items))))
                    agent-sessions--pending)))
        (when saved
          (setq agent-sessions--pending
                (cl-set-difference agent-sessions--pending saved :test #'eq))
          (agent-sessions--unmark-saved saved)
          (agent-sessions--update-mode-line))))))

(defun agent-sessions--unmark-saved (items)
  "Take the \"not saved yet\" mark off the messages of ITEMS.
In place: redrawing the buffer would move point under the user's
fingers."
  (let ((inhibit-read-only t)
        (pos (point-min)))
    (save-excursion
      (while (setq pos (text-property-not-all pos (point-max) 'agent-sessions-unsaved nil))
        (let ((end (next-single-property-change pos 'agent-sessions-unsaved nil (point-max))))
          (if (memq (get-text-property pos 'agent-sessions-unsaved) items)
              (delete-region pos end)
            (setq pos end)))))))

(defun agent-sessions--save-draft (buffer)
  "Store BUFFER's input as its session's draft, when it changed."
  (with-current-buffer buffer
    (let ((draft (string-trim-right (agent-sessions--input-text))))
      (when (string-empty-p draft) (setq draft nil))
      (unless (equal draft agent-sessions--draft-saved)
        (agent-sessions--async
         :session.metadata (list :id agent-sessions--id :set (list :draft draft))
         :then (lambda (_)
                 (when (buffer-live-p buffer)
                   (with-current-buffer buffer
                     (setq agent-sessions--draft-saved draft)))))))))

(defun agent-sessions--send-pending (buffer &optional plain)
  "Send BUFFER's pending messages no server holds.
Deferred (kept by the server until a save or a switch), or with
PLAIN as one stored append.  Returns the items sent."
  ;; The server first: starting one changes the generation, and a message
  ;; the dead one held must count as held by none.
  (agent-sessions--connection)
  (with-current-buffer buffer
    (let* ((generation agent-sessions--generation)
           (items (cl-remove-if (lambda (item) (eql (cdr item) generation))
                                agent-sessions--pending)))
      (when items
        (unless plain (agent-sessions--ensure-current agent-sessions--id))
        (dolist (item items) (setcdr item generation))
        (agent-sessions--async
         :session.append (append (list :id agent-sessions--id
                                       :messages (vconcat (mapcar #'car items)))
                                 (unless plain (list :defer t)))
         :then (lambda (_)
                 (when plain
                   (agent-sessions--forget-saved (buffer-local-value 'agent-sessions--id buffer)
                                                 generation items)))
         :else (lambda (error)
                 (dolist (item items)
                   (when (eql (cdr item) generation) (setcdr item nil)))
                 (unless (eql (plist-get error :code) -1)
                   (message "agent-sessions: could not add messages: %s"
                            (agent-sessions--error-text error))))))
      items)))

(defun agent-sessions--save-buffer (buffer)
  "Save what BUFFER still holds: its draft and pending messages.
Nothing waits for the answers."
  (when (buffer-live-p buffer)
    (agent-sessions--save-draft buffer)
    (with-current-buffer buffer
      (when agent-sessions--pending
        (agent-sessions--send-pending buffer)
        (let ((id agent-sessions--id)
              (generation agent-sessions--generation))
          (agent-sessions--ensure-current id)
          (let ((items (copy-sequence agent-sessions--pending)))
            (agent-sessions--async
             :session.save nil
             :then (lambda (_) (agent-sessions--forget-saved id generation items)))))))))

(defun agent-sessions--save-all ()
  "Save what every chat buffer holds, without waiting."
  (dolist (buffer (agent-sessions--chat-buffers))
    (agent-sessions--save-buffer buffer)))

(defun agent-sessions--needs-saving-p (buffer)
  "Whether BUFFER holds something not stored."
  (with-current-buffer buffer
    (or agent-sessions--pending
        (not (equal (let ((d (string-trim-right (agent-sessions--input-text))))
                      (unless (string-empty-p d) d))
                    agent-sessions--draft-saved)))))

(defun agent-sessions--tick ()
  "The auto-save timer: save every chat buffer that holds something."
  (when agent-sessions-auto-save
    (condition-case err
        (dolist (buffer (agent-sessions--chat-buffers))
          (when (agent-sessions--needs-saving-p buffer)
            (agent-sessions--save-buffer buffer)))
      (error (message "agent-sessions: auto-save failed: %s"
                      (agent-sessions--neutralize (error-message-string err) t))))))

(defun agent-sessions--start-timer ()
  "Start the auto-save timer unless it runs or is turned off."
  (when (and (null agent-sessions--timer)
             (numberp agent-sessions-auto-save-interval)
             (> agent-sessions-auto-save-interval 0))
    (setq agent-sessions--timer
          (run-with-timer agent-sessions-auto-save-interval
                          agent-sessions-auto-save-interval
                          #'agent-sessions--tick))))

(defun agent-sessions--stop-timer-unless-needed (&optional except)
  "Cancel the timer when no chat buffer but EXCEPT is left."
  (when (and agent-sessions--timer (null (agent-sessions--chat-buffers except)))
    (cancel-timer agent-sessions--timer)
    (setq agent-sessions--timer nil)))

(defun agent-sessions--kill-buffer ()
  "A chat buffer goes: save what it holds, stop the timer if it was the last."
  (when (and agent-sessions-auto-save (agent-sessions--running-p-or-needed))
    (condition-case err
        (agent-sessions--save-buffer (current-buffer))
      (error (message "agent-sessions: could not save %s: %s"
                      (agent-sessions--neutralize agent-sessions--id t)
                      (agent-sessions--neutralize (error-message-string err) t)))))
  (when agent-sessions--turn
    (agent-sessions--cancel-turn))
  (agent-sessions--stop-timer-unless-needed (current-buffer)))

(defun agent-sessions--running-p-or-needed ()
  "Whether saving the current buffer needs (or may use) the server."
  (or (agent-sessions--running-p) (agent-sessions--needs-saving-p (current-buffer))))

(defun agent-sessions--kill-buffer-query ()
  "With auto-save off, ask before killing a buffer that holds unsaved text."
  (or agent-sessions-auto-save noninteractive
      (not (agent-sessions--needs-saving-p (current-buffer)))
      (yes-or-no-p "This session has unsaved messages or a draft; kill it anyway? ")))

(defun agent-sessions--kill-emacs-query ()
  "With auto-save off, ask before exiting with unsaved text."
  (or agent-sessions-auto-save noninteractive
      (not (cl-some #'agent-sessions--needs-saving-p (agent-sessions--chat-buffers)))
      (yes-or-no-p "Agent sessions hold unsaved messages or drafts; exit anyway? ")))

(defun agent-sessions--kill-emacs ()
  "Emacs exits: save every buffer and stop the server, waiting a little.
The server's `shutdown' saves its deferred messages; waiting for its
answer waits for every request sent before it."
  ;; Also with no chat buffer left: a buffer killed just before may have a
  ;; save on its way, which `shutdown' waits for.
  (when (or (agent-sessions--chat-buffers) (agent-sessions--running-p))
    (condition-case nil
        (progn
          ;; An answer in progress is stopped (its partial stored), or
          ;; `shutdown' would wait behind it.
          (dolist (buffer (agent-sessions--chat-buffers))
            (with-current-buffer buffer
              (when agent-sessions--turn (agent-sessions--cancel-turn))))
          (when agent-sessions-auto-save (agent-sessions--save-all))
          (when (agent-sessions--running-p)
            (let ((conn agent-sessions--connection))
              (setq agent-sessions--stopping t)
              (jsonrpc-request conn :shutdown nil :timeout 5)
              (jsonrpc-notify conn :exit nil))))
      (error nil))))

(add-hook 'kill-emacs-hook #'agent-sessions--kill-emacs)
(add-hook 'kill-emacs-query-functions #'agent-sessions--kill-emacs-query)

;;;; Chat buffers

(defvar agent-sessions-chat-mode-map
  (let ((map (make-sparse-keymap)))
    (define-key map (kbd "C-c C-c") #'agent-sessions-send-input)
    (define-key map (kbd "C-c C-k") #'agent-sessions-cancel)
    (define-key map (kbd "C-c C-s") #'agent-sessions-save)
    (define-key map (kbd "C-c C-l") #'agent-sessions-list)
    (define-key map (kbd "C-c C-a") #'agent-sessions-add-message)
    (define-key map (kbd "C-c C-u") #'agent-sessions-undo)
    (define-key map (kbd "C-c C-r") #'agent-sessions-redo)
    (define-key map (kbd "C-c C-f") #'agent-sessions-fork)
    (define-key map (kbd "C-c C-n") #'agent-sessions-snapshot)
    (define-key map (kbd "C-c C-e") #'agent-sessions-export)
    (define-key map (kbd "C-c C-o") #'agent-sessions-chat)
    (define-key map (kbd "C-c C-g") #'agent-sessions-refresh)
    (define-key map (kbd "TAB") #'forward-button)
    (define-key map (kbd "<backtab>") #'backward-button)
    map)
  "Keys of `agent-sessions-chat-mode'.")

(define-derived-mode agent-sessions-chat-mode text-mode "Agent"
  "A chat with a model, stored in an AgentSessions store.
Type below the line; \\[agent-sessions-send-input] sends it,
\\[agent-sessions-cancel] stops the answer in progress.

\\{agent-sessions-chat-mode-map}"
  (setq-local buffer-undo-list t)
  (setq-local truncate-lines nil)
  (setq-local word-wrap t)
  (add-hook 'kill-buffer-hook #'agent-sessions--kill-buffer nil t)
  (add-hook 'kill-buffer-query-functions #'agent-sessions--kill-buffer-query nil t))

(defun agent-sessions--open (id)
  "The chat buffer of session ID, filled from the store."
  (or (agent-sessions--buffer-for id)
      (let ((loaded (agent-sessions--load id))
            (buffer (generate-new-buffer (format "*agent-sessions %s*" id))))
        (with-current-buffer buffer
          (agent-sessions-chat-mode)
          (setq agent-sessions--id (plist-get loaded :id))
          (agent-sessions--render loaded)
          (let ((draft (plist-get (plist-get loaded :metadata) :draft)))
            (when (and (stringp draft) (not (string-empty-p draft)))
              (save-excursion
                (goto-char (point-max))
                (insert (agent-sessions--neutralize draft)))
              (setq agent-sessions--draft-saved draft)))
          (setq buffer-undo-list nil)
          (goto-char (point-max)))
        (agent-sessions--start-timer)
        buffer)))

;;;###autoload
(defun agent-sessions-chat (&optional id)
  "Open the chat buffer of session ID, creating the session if needed.
Interactively, ask for the session with completion (newest first;
typing searches them); an empty answer or a new name creates a
session.  From Lisp, a nil ID creates a new session.  Opening
another session saves what the buffer being left still holds."
  (interactive (list (agent-sessions--read-or-new)))
  (let* ((from (and (derived-mode-p 'agent-sessions-chat-mode) (current-buffer)))
         (id (if (or (null id) (string-empty-p id))
                 (plist-get (agent-sessions--call
                             :session.create
                             (append (list :switch :json-false
                                           :metadata (list :editor "emacs"))
                                     (when agent-sessions-model
                                       (list :model agent-sessions-model))))
                            :id)
               id))
         (id (if (agent-sessions--exists-p id) id
               (plist-get (agent-sessions--call
                           :session.create (list :id id :switch :json-false
                                                 :metadata (list :editor "emacs")))
                          :id)))
         (buffer (agent-sessions--open id)))
    (when (and from (not (eq from buffer)) agent-sessions-auto-save)
      (agent-sessions--save-buffer from))
    (when agent-sessions-auto-save
      (agent-sessions--ensure-current id))
    (if (called-interactively-p 'any)
        (pop-to-buffer-same-window buffer)
      (set-buffer buffer))
    buffer))

(defun agent-sessions--read-or-new ()
  "Ask for a session id (or a new one), for `agent-sessions-chat'."
  (agent-sessions--read-session "Session (empty: new): " t))

(defun agent-sessions--exists-p (id)
  "Whether session ID exists."
  (condition-case err
      (progn (jsonrpc-request (agent-sessions--connection) :session.metadata (list :id id)
                              :timeout agent-sessions-request-timeout)
             t)
    (jsonrpc-error
     ;; -32001: not found; anything else (a malformed id, say) is the user's to see.
     (unless (eql (alist-get 'jsonrpc-error-code (cdr err)) -32001)
       (signal 'agent-sessions-error (list (agent-sessions--error-text (cdr err))))))))

(defun agent-sessions--chat-buffer ()
  "The current chat buffer, or an error."
  (unless (and (derived-mode-p 'agent-sessions-chat-mode) agent-sessions--id)
    (user-error "Not in an agent-sessions chat buffer"))
  (current-buffer))

(defun agent-sessions--session-id (&optional prompt)
  "The current chat buffer's session, else ask with PROMPT."
  (if (and (derived-mode-p 'agent-sessions-chat-mode) agent-sessions--id)
      agent-sessions--id
    (agent-sessions--read-session (or prompt "Session: "))))

;;;; Turns

(defun agent-sessions--begin-turn (text)
  "Show TEXT as the user's message and send it to the model.
Return the turn (a plist)."
  (agent-sessions--chat-buffer)
  (when agent-sessions--turn
    (user-error "An answer is still coming; C-c C-k stops it"))
  (let* ((buffer (current-buffer))
         (id agent-sessions--id)
         (conn (agent-sessions--connection))
         (from (copy-marker agent-sessions--end))
         stream turn)
    ;; Messages added here go first, as the server stores them first.
    (when agent-sessions--pending
      (agent-sessions--send-pending buffer (not agent-sessions-auto-save)))
    (agent-sessions--ensure-current id)
    (agent-sessions--at-end
      (agent-sessions--insert-message
       (list :role "user" :parts (vector (list :type "text" :text text))))
      (insert (propertize "Assistant" 'face 'agent-sessions-assistant) "\n")
      ;; The answer streams in before a newline of its own, so it never
      ;; runs into the separator line.
      (setq stream (point-marker))
      (insert "\n"))
    (set-marker-insertion-type stream t)
    (setq turn (list :from from :chunks nil :input text :stream stream))
    (setq agent-sessions--turn turn
          agent-sessions--status "streaming…")
    (agent-sessions--update-mode-line)
    (jsonrpc-async-request
     conn :chat.send (append (list :id id :content text)
                             (when agent-sessions-model (list :model agent-sessions-model)))
     :timeout agent-sessions-answer-timeout
     :success-fn (lambda (result)
                   (when (buffer-live-p buffer)
                     (with-current-buffer buffer
                       (agent-sessions--turn-done result))))
     :error-fn (lambda (error)
                 (when (buffer-live-p buffer)
                   (with-current-buffer buffer
                     (agent-sessions--turn-failed error))))
     :timeout-fn (lambda ()
                   (when (buffer-live-p buffer)
                     (with-current-buffer buffer
                       (agent-sessions--cancel-turn)
                       (agent-sessions--turn-failed
                        (list :code -2 :message "no answer in time"))))))
    (plist-put turn :request (jsonrpc--next-request-id conn))
    (plist-put turn :connection conn)
    turn))

(defun agent-sessions--on-delta (params)
  "Insert a piece of the answer (chat.delta PARAMS) where it belongs."
  (let ((buffer (agent-sessions--buffer-for (plist-get params :id))))
    (when buffer
      (with-current-buffer buffer
        (let ((turn agent-sessions--turn)
              (request (plist-get params :requestId)))
          (when (and turn (or (null request) (equal request (plist-get turn :request))))
            (let ((text (or (plist-get params :text) "")))
              ;; Kept as pieces, joined once the turn ends: adding each to
              ;; the text so far copied the whole answer on every delta.
              (plist-put turn :chunks (cons text (plist-get turn :chunks)))
              (let ((inhibit-read-only t))
                (save-excursion
                  (goto-char (plist-get turn :stream))
                  (let ((start (point)))
                    (insert (agent-sessions--neutralize text))
                    (add-text-properties start (point)
                                         '(read-only t front-sticky (read-only)))))))))))))

(defun agent-sessions--turn-text (turn)
  "The answer TURN has streamed so far, as the model sent it (its pieces joined).
The join replaces the pieces, so a turn's text is joined once when it
ends, not once per piece."
  (let ((chunks (plist-get turn :chunks)))
    (if (cdr chunks)
        (let ((text (mapconcat #'identity (reverse chunks) "")))
          (plist-put turn :chunks (list text))
          text)
      (or (car chunks) ""))))

(defun agent-sessions--finish-turn (user answers)
  "Replace the turn's provisional text by the stored USER and ANSWERS messages.
ANSWERS is every message the turn stored after USER (tool calls and
results, then the answer)."
  (let ((turn agent-sessions--turn))
    (agent-sessions--at-end
      (delete-region (plist-get turn :from) agent-sessions--end)
      (goto-char agent-sessions--end)
      (when user (agent-sessions--insert-message user))
      (mapc #'agent-sessions--insert-message answers))
    (setq agent-sessions--turn nil agent-sessions--status nil)))

(defun agent-sessions--turn-done (result)
  "The turn ended with RESULT (the answer stored)."
  (let ((turn agent-sessions--turn))
    (when turn
      (let ((answer (plist-get result :message)))
        (plist-put turn :answer (or (agent-sessions--message-text answer)
                                    (agent-sessions--turn-text turn)))
        (plist-put turn :done t)
        (when (plist-get result :session)
          (setq agent-sessions--session (plist-get result :session))
          (agent-sessions--update-header))
        (agent-sessions--after-turn (plist-get turn :from))
        (agent-sessions--finish-turn
         (plist-get result :userMessage)
         (or (append (plist-get result :messages) nil) (and answer (list answer))))
        (agent-sessions--update-mode-line)))))

(defun agent-sessions--after-turn (_from)
  "The server stored the pending messages of this session before the turn."
  (agent-sessions--forget-saved agent-sessions--id agent-sessions--generation))

(defun agent-sessions--message-text (message)
  "The text of MESSAGE's text parts, or nil."
  (when message
    (or (plist-get message :text)
        (let ((texts (cl-loop for part across (or (plist-get message :parts) [])
                              when (equal (plist-get part :type) "text")
                              collect (plist-get part :text))))
          (when texts (string-join texts "\n"))))))

(defun agent-sessions--turn-failed (error)
  "The turn ended with ERROR (a plist: code, message, data)."
  (let ((turn agent-sessions--turn)
        (code (plist-get error :code))
        (data (plist-get error :data)))
    (when turn
      (plist-put turn :done t)
      (plist-put turn :error (agent-sessions--error-text error))
      (cond
       ((and (consp data) (plist-member data :userMessage))
        ;; Cancelled, or the model failed: what was stored comes with the error.
        (plist-put turn :answer (or (agent-sessions--message-text (plist-get data :message))
                                    (agent-sessions--turn-text turn)))
        (agent-sessions--finish-turn (plist-get data :userMessage)
                                     (and (plist-get data :message)
                                          (list (plist-get data :message))))
        (unless (eql code -32800)
          (agent-sessions--at-end
            (insert (propertize (format "[%s]\n\n" (agent-sessions--error-text error))
                                'face 'agent-sessions-note))))
        (agent-sessions--after-turn nil))
       ((memq code '(-1 -2))
        ;; The server stopped or did not answer: keep what came, marked.
        (plist-put turn :answer (agent-sessions--turn-text turn))
        (agent-sessions--at-end
          (unless (bolp) (insert "\n"))
          (insert (propertize (format "[interrupted: %s]\n\n" (agent-sessions--error-text error))
                              'face 'agent-sessions-note)))
        (setq agent-sessions--turn nil agent-sessions--status nil)
        (when (eql code -2)
          (message "agent-sessions: %s" (agent-sessions--error-text error))))
       (t
        ;; Refused before anything was stored (no model configured, a server
        ;; without chat.send...): the text goes back to the input.
        (agent-sessions--at-end
          (delete-region (plist-get turn :from) agent-sessions--end))
        (save-excursion
          (goto-char agent-sessions--input)
          (insert (plist-get turn :input)))
        (setq agent-sessions--turn nil agent-sessions--status nil)
        (message "agent-sessions: %s"
                 (if (eql code -32601)
                     "this server has no chat.send; update agent-sessions"
                   (agent-sessions--error-text error)))))
      (agent-sessions--update-mode-line))))

(defun agent-sessions--cancel-turn ()
  "Ask the server to stop the turn in progress (its partial answer stays)."
  (let ((turn agent-sessions--turn))
    (when (and turn (not (plist-get turn :done)))
      (plist-put turn :cancelled t)
      (let ((conn (plist-get turn :connection)))
        (when (and conn (jsonrpc-running-p conn))
          (jsonrpc-notify conn :$/cancelRequest (list :id (plist-get turn :request))))))))

;;;###autoload
(defun agent-sessions-send-and-wait (text &optional timeout)
  "Send TEXT in the current chat buffer and return the answer as a string.
Waits at most TIMEOUT seconds (default `agent-sessions-answer-timeout').
For scripts and tests; interactively, use \\[agent-sessions-send-input]."
  (let* ((turn (agent-sessions--begin-turn text))
         (deadline (+ (float-time) (or timeout agent-sessions-answer-timeout))))
    (while (and (not (plist-get turn :done)) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    (unless (plist-get turn :done)
      (agent-sessions--cancel-turn)
      (signal 'agent-sessions-error (list "no answer in time; the turn was cancelled")))
    (when (and (plist-get turn :error) (not (plist-get turn :cancelled)))
      (signal 'agent-sessions-error (list (plist-get turn :error))))
    (or (plist-get turn :answer) "")))

(defun agent-sessions-send-input ()
  "Send the input area's text to the model."
  (interactive)
  (agent-sessions--chat-buffer)
  (let ((text (string-trim (agent-sessions--input-text))))
    (when (string-empty-p text) (user-error "Nothing to send"))
    (when agent-sessions--turn (user-error "An answer is still coming; C-c C-k stops it"))
    (delete-region agent-sessions--input (point-max))
    (agent-sessions--begin-turn text)))

(defun agent-sessions-cancel ()
  "Stop the answer in progress; what came so far stays, marked interrupted."
  (interactive)
  (agent-sessions--chat-buffer)
  (unless agent-sessions--turn (user-error "No answer in progress"))
  (agent-sessions--cancel-turn))

;;;; Commands

;;;###autoload
(defun agent-sessions-add-message (role text)
  "Add a message with ROLE and TEXT to this session without a model turn.
It is appended in deferred mode: kept by the server (and this
buffer) until the timer, a switch, killing the buffer or
`agent-sessions-save' stores it, all or nothing."
  (interactive
   (list (completing-read "Role: " '("user" "assistant" "system" "tool") nil t nil nil "user")
         (if (use-region-p)
             (buffer-substring-no-properties (region-beginning) (region-end))
           (read-string "Text: "))))
  (agent-sessions--chat-buffer)
  (let ((item (cons (list :role role :content text) nil)))
    (setq agent-sessions--pending (append agent-sessions--pending (list item)))
    (agent-sessions--at-end
      (agent-sessions--insert-message
       (list :role role :parts (vector (list :type "text" :text text)))
       item))
    (when agent-sessions-auto-save
      (agent-sessions--send-pending (current-buffer)))
    (agent-sessions--update-mode-line)))

;;;###autoload
(defun agent-sessions-save ()
  "Save what the chat buffers hold now: drafts and added messages."
  (interactive)
  (dolist (buffer (agent-sessions--chat-buffers))
    (if agent-sessions-auto-save
        (agent-sessions--save-buffer buffer)
      (agent-sessions--save-draft buffer)
      (agent-sessions--send-pending buffer t))))

(defun agent-sessions-refresh ()
  "Reload this chat buffer from the store."
  (interactive)
  (agent-sessions--chat-buffer)
  (agent-sessions--refresh))

(defun agent-sessions--history (method id)
  "Run METHOD (undo or redo) on session ID and redraw its buffer."
  (let ((result (agent-sessions--call method (list :id id))))
    (when-let ((buffer (agent-sessions--buffer-for id)))
      (agent-sessions--refresh buffer))
    (message "agent-sessions: %d messages hidden now" (or (plist-get result :hiddenMessages) 0))
    result))

;;;###autoload
(defun agent-sessions-undo (&optional id)
  "Hide the last exchange of session ID (this buffer's); `redo' brings it back."
  (interactive)
  (agent-sessions--history :session.undo (or id (agent-sessions--session-id))))

;;;###autoload
(defun agent-sessions-redo (&optional id)
  "Bring back what the last undo of session ID (this buffer's) hid."
  (interactive)
  (agent-sessions--history :session.redo (or id (agent-sessions--session-id))))

;;;###autoload
(defun agent-sessions-fork (&optional id at)
  "Fork session ID (this buffer's) after message AT (default: all); open it.
Interactively, point's message is the fork point."
  (interactive
   (list (agent-sessions--session-id)
         (get-text-property (point) 'agent-sessions-seq)))
  (let* ((id (or id (agent-sessions--session-id)))
         (fork (agent-sessions--call :session.fork
                                     (append (list :id id) (when at (list :at at))))))
    (agent-sessions-chat (plist-get fork :id))
    (when (called-interactively-p 'any)
      (pop-to-buffer-same-window (agent-sessions--buffer-for (plist-get fork :id))))
    (plist-get fork :id)))

;;;###autoload
(defun agent-sessions-snapshot (name &optional id)
  "Mark the current state of session ID (this buffer's) as snapshot NAME."
  (interactive (list (read-string "Snapshot name: ")))
  (let ((result (agent-sessions--call :session.snapshot
                                      (list :id (or id (agent-sessions--session-id))
                                            :name name))))
    (message "agent-sessions: snapshot %s (%d messages)"
             (agent-sessions--neutralize name t) (or (plist-get result :messageCount) 0))
    result))

(defconst agent-sessions--export-extensions
  '(("json" . "json") ("jsonl" . "jsonl") ("markdown" . "md") ("html" . "html")
    ("base64" . "b64"))
  "Export formats and their file extensions.")

;;;###autoload
(defun agent-sessions-export (&optional id format file)
  "Write session ID in FORMAT (json, jsonl, markdown, html, base64) to FILE."
  (interactive)
  (let* ((id (or id (agent-sessions--session-id "Export session: ")))
         (format (or format (completing-read "Format: " agent-sessions--export-extensions
                                             nil t nil nil "markdown")))
         (file (or file (read-file-name
                         "Export to: " nil nil nil
                         (format "%s.%s" id (cdr (assoc format agent-sessions--export-extensions))))))
         (content (plist-get (agent-sessions--call :session.export
                                                   (list :id id :format format))
                             :content)))
    ;; 0600, as the CLI writes exports: a transcript is private.
    (let ((coding-system-for-write 'utf-8-unix))
      (with-file-modes #o600
        (write-region content nil (expand-file-name file) nil 'silent)))
    (message "agent-sessions: wrote %s" (agent-sessions--neutralize file t))
    (expand-file-name file)))

;;;; The list

(defvar agent-sessions-list-mode-map
  (let ((map (make-sparse-keymap)))
    (define-key map (kbd "RET") #'agent-sessions-list-open)
    (define-key map (kbd "r") #'agent-sessions-list-rename)
    (define-key map (kbd "t") #'agent-sessions-list-tag)
    (define-key map (kbd "p") #'agent-sessions-list-pin)
    (define-key map (kbd "D") #'agent-sessions-list-delete)
    (define-key map (kbd "e") #'agent-sessions-list-export)
    (define-key map (kbd "s") #'agent-sessions-search)
    map)
  "Keys of `agent-sessions-list-mode'.")

(define-derived-mode agent-sessions-list-mode tabulated-list-mode "Agent Sessions"
  "The sessions of the store, most recently updated first.
\\{agent-sessions-list-mode-map}"
  (setq tabulated-list-format [("Title" 40 t) ("Msgs" 5 t :right-align t)
                               ("Updated" 17 t) ("Tags" 20 nil) ("Pin" 3 t) ("Id" 40 t)])
  (setq tabulated-list-padding 1)
  (add-hook 'tabulated-list-revert-hook #'agent-sessions--list-entries nil t)
  (tabulated-list-init-header))

(defun agent-sessions--list-entries ()
  "Fill the list from the server."
  (setq tabulated-list-entries
        (mapcar (lambda (s)
                  (let ((id (plist-get s :id)))
                    (list id
                          (vector (agent-sessions--title s)
                                  (number-to-string (or (plist-get s :messageCount) 0))
                                  (agent-sessions--neutralize
                                   (replace-regexp-in-string
                                    "T" " " (substring (or (plist-get s :updatedAt) "") 0
                                                       (min 16 (length (or (plist-get s :updatedAt) "")))))
                                   t)
                                  (agent-sessions--neutralize
                                   (string-join (append (plist-get s :tags) nil) ",") t)
                                  (if (eq (plist-get s :pinned) t) "★" "")
                                  (agent-sessions--neutralize id t)))))
                (agent-sessions--sessions 500))))

;;;###autoload
(defun agent-sessions-list ()
  "List the sessions: RET opens, r renames, t tags, p pins, D deletes, e exports."
  (interactive)
  (let ((buffer (get-buffer-create "*agent-sessions list*")))
    (with-current-buffer buffer
      (agent-sessions-list-mode)
      (agent-sessions--list-entries)
      (tabulated-list-print))
    (if (called-interactively-p 'any) (pop-to-buffer-same-window buffer) buffer)))

(defun agent-sessions--list-id ()
  "The session id on this line of the list."
  (or (tabulated-list-get-id) (user-error "No session on this line")))

(defun agent-sessions--list-redraw ()
  "Redraw the list, keeping point on its line."
  (agent-sessions--list-entries)
  (tabulated-list-print t))

(defun agent-sessions-list-open ()
  "Open this line's session."
  (interactive)
  (pop-to-buffer-same-window (agent-sessions-chat (agent-sessions--list-id))))

(defun agent-sessions-list-rename (title)
  "Rename this line's session to TITLE."
  (interactive (list (read-string "New title: ")))
  (agent-sessions--call :session.rename (list :id (agent-sessions--list-id) :title title))
  (agent-sessions--list-redraw))

(defun agent-sessions-list-tag (tags)
  "Change this line's tags: TAGS is words, each added, or removed with a leading -."
  (interactive (list (read-string "Tags (tag adds, -tag removes): ")))
  (let (add remove)
    (dolist (word (split-string tags "[ ,]+" t))
      (if (string-prefix-p "-" word) (push (substring word 1) remove) (push word add)))
    (agent-sessions--call :session.tag (list :id (agent-sessions--list-id)
                                             :add (vconcat (nreverse add))
                                             :remove (vconcat (nreverse remove))))
    (agent-sessions--list-redraw)))

(defun agent-sessions-list-pin ()
  "Pin this line's session, or unpin it."
  (interactive)
  (let* ((id (agent-sessions--list-id))
         (pinned (equal (aref (tabulated-list-get-entry) 4) "★")))
    (agent-sessions--call :session.pin (list :id id :pinned (if pinned :json-false t)))
    (agent-sessions--list-redraw)))

(defun agent-sessions-list-delete ()
  "Delete this line's session, after asking."
  (interactive)
  (let ((id (agent-sessions--list-id)))
    (when (yes-or-no-p (format "Delete session %s and all its messages? "
                               (agent-sessions--neutralize id t)))
      (agent-sessions--call :session.delete (list :id id))
      (when-let ((buffer (agent-sessions--buffer-for id)))
        (with-current-buffer buffer
          (setq agent-sessions--pending nil agent-sessions--draft-saved nil)
          (let ((inhibit-read-only t)) (erase-buffer))
          (setq agent-sessions--input (point-min-marker)))
        (kill-buffer buffer))
      (when (equal agent-sessions--current id) (setq agent-sessions--current nil))
      (agent-sessions--list-redraw))))

(defun agent-sessions-list-export ()
  "Export this line's session to a file."
  (interactive)
  (agent-sessions-export (agent-sessions--list-id)))

;;;; Search

(defvar agent-sessions-search-mode-map
  (let ((map (make-sparse-keymap)))
    (define-key map (kbd "RET") #'agent-sessions-search-open)
    (define-key map (kbd "n") #'next-line)
    (define-key map (kbd "p") #'previous-line)
    map)
  "Keys of `agent-sessions-search-mode'.")

(define-derived-mode agent-sessions-search-mode special-mode "Agent Search"
  "Search hits; RET opens the session at the message.")

;;;###autoload
(defun agent-sessions-search (query)
  "Search every session for QUERY (words, \"a phrase\", word*)."
  (interactive (list (read-string "Search sessions: ")))
  (let ((hits (plist-get (agent-sessions--call :session.search (list :query query :limit 100))
                         :hits))
        (buffer (get-buffer-create "*agent-sessions search*")))
    (with-current-buffer buffer
      (agent-sessions-search-mode)
      (let ((inhibit-read-only t))
        (erase-buffer)
        (insert (format "%d hits for %s\n\n" (length hits) (agent-sessions--neutralize query t)))
        (seq-doseq (hit hits)
          (let ((start (point)))
            (insert (propertize (truncate-string-to-width
                                 (agent-sessions--neutralize (or (plist-get hit :sessionTitle) "") t)
                                 30 nil nil "…")
                                'face 'bold)
                    (if (plist-get hit :seq)
                        (format "  #%d %s: " (plist-get hit :seq)
                                (agent-sessions--neutralize (or (plist-get hit :role) "") t))
                      "  (title): ")
                    (agent-sessions--neutralize (or (plist-get hit :snippet) "") t)
                    "\n")
            (put-text-property start (point) 'agent-sessions-hit hit))))
      (goto-char (point-min))
      (forward-line 2))
    (if (called-interactively-p 'any) (pop-to-buffer buffer) buffer)))

(defun agent-sessions-search-open ()
  "Open the session of this hit, at its message."
  (interactive)
  (let ((hit (or (get-text-property (point) 'agent-sessions-hit)
                 (user-error "No hit on this line"))))
    (let ((buffer (agent-sessions-chat (plist-get hit :sessionId)))
          (seq (plist-get hit :seq)))
      (pop-to-buffer-same-window buffer)
      (when seq
        (let ((pos (text-property-any (point-min) (point-max) 'agent-sessions-seq seq)))
          (when pos (goto-char pos)))))))

(provide 'agent-sessions)
;;; agent-sessions.el ends here
