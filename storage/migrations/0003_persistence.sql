-- python-telegram-bot persistence (storage/persistence.py): conversation states and the
-- per-user and per-chat data dicts, each stored as JSON text. bot_data and callback data
-- are not persisted.

CREATE TABLE ptb_conversations (
    name        TEXT    NOT NULL,          -- the ConversationHandler's name
    key         TEXT    NOT NULL,          -- JSON array: the conversation key, e.g. [42,42]
    state       TEXT    NOT NULL,          -- JSON: the state (an int or a string)
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (name, key)
);

CREATE TABLE ptb_user_data (
    user_id     INTEGER PRIMARY KEY,       -- Telegram user id
    data        TEXT    NOT NULL,          -- JSON object
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE ptb_chat_data (
    chat_id     INTEGER PRIMARY KEY,       -- Telegram chat id
    data        TEXT    NOT NULL,          -- JSON object
    updated_at  TIMESTAMPTZ NOT NULL
);
