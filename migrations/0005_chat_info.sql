-- What Lark says about a chat (GET /open-apis/im/v1/chats/:chat_id), cached: the ephemeral (only-you) API refuses
-- topic groups (chat_mode "topic", or a group whose messages are topics, group_message_type "thread"), so a private
-- answer there must go another way, and asking Lark before every answer would cost a call per command.
CREATE TABLE chat_info (
  chat_id TEXT PRIMARY KEY,
  chat_mode TEXT NOT NULL,
  group_message_type TEXT,
  fetched_at TEXT NOT NULL
);
