"""The chat apps — 钉钉, 企业微信, 飞书 — as equals of the Telegram bot: what arrives from them
becomes a :class:`~superbot.chat.events.Said` or :class:`~superbot.chat.events.Pressed`,
goes through the conversation core (:class:`~superbot.chat.app.ChatApp`), and is answered
through the outbox; each platform's wire format is in its own module here, its API in
``channels/``."""
