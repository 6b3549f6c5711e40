package telegramtest

import (
	"encoding/json"
	"strconv"
	"time"
)

// Builders of the updates Telegram delivers (webhook bodies, getUpdates
// items). A positive chat id is a private chat, a negative one a
// supergroup; users are named "User <id>" and lang is their language_code
// ("" for none). Message ids equal the update id.

// TextUpdate is a text message (commands included) from userID in chatID.
func TextUpdate(updateID int64, chatID, userID int64, text, lang string) []byte {
	return update(updateID, "message", message(updateID, chatID, user(userID, lang), map[string]any{"text": text}))
}

// ContactUpdate is userID sharing their own phone number in their private
// chat (what a request_contact button sends).
func ContactUpdate(updateID int64, userID int64, phone, lang string) []byte {
	contact := map[string]any{"phone_number": phone, "first_name": "User " + strconv.FormatInt(userID, 10), "user_id": userID}
	return update(updateID, "message", message(updateID, userID, user(userID, lang), map[string]any{"contact": contact}))
}

// PhotoUpdate is a photo (one size: fileID of size bytes, 1280×960) with
// an optional caption from userID in chatID. Add the file with AddFile.
func PhotoUpdate(updateID int64, chatID, userID int64, fileID string, size int, caption, lang string) []byte {
	fields := map[string]any{"photo": []map[string]any{
		{"file_id": fileID + "-thumb", "file_unique_id": "t" + fileID, "width": 90, "height": 68, "file_size": min(size, 1200)},
		{"file_id": fileID, "file_unique_id": "u" + fileID, "width": 1280, "height": 960, "file_size": size},
	}}
	if caption != "" {
		fields["caption"] = caption
	}
	return update(updateID, "message", message(updateID, chatID, user(userID, lang), fields))
}

// DocumentUpdate is a file (fileID, size bytes, with its MIME type and
// name) sent by userID in chatID. Add the file with AddFile.
func DocumentUpdate(updateID int64, chatID, userID int64, fileID string, size int, mimeType, name, lang string) []byte {
	doc := map[string]any{"file_id": fileID, "file_unique_id": "u" + fileID, "file_size": size, "mime_type": mimeType, "file_name": name}
	return update(updateID, "message", message(updateID, chatID, user(userID, lang), map[string]any{"document": doc}))
}

// CallbackUpdate is userID pressing an inline button with data on the
// bot's text message messageID in chatID. The message is a stand-in: when
// the adapter edits it, the fake answers "message to edit not found" unless
// it sent that id (use CallbackOn to press a message the fake holds).
func CallbackUpdate(updateID int64, chatID, userID int64, messageID int, data, lang string) []byte {
	msg := map[string]any{"message_id": messageID, "date": time.Now().Unix(), "chat": chat(chatID),
		"from": map[string]any{"id": BotID, "is_bot": true, "first_name": "Shop", "username": BotUsername}, "text": "…"}
	return callback(updateID, userID, lang, msg, data)
}

// CallbackOn is userID pressing an inline button with data on m, a message
// the fake sent (see Messages, WithButton). The data need not be on m:
// Telegram clients can send anything.
func (f *FakeAPI) CallbackOn(updateID int64, userID int64, m Message, data, lang string) []byte {
	return callback(updateID, userID, lang, f.MessageJSON(m), data)
}

func callback(updateID, userID int64, lang string, msg any, data string) []byte {
	cb := map[string]any{
		"id": "cb" + strconv.FormatInt(updateID, 10), "from": user(userID, lang), "message": msg,
		"chat_instance": "ci" + strconv.FormatInt(userID, 10), "data": data,
	}
	return update(updateID, "callback_query", cb)
}

func update(id int64, kind string, v any) []byte {
	b, err := json.Marshal(map[string]any{"update_id": id, kind: v})
	if err != nil {
		panic(err) // maps of plain values always marshal
	}
	return b
}

func message(id, chatID int64, from map[string]any, fields map[string]any) map[string]any {
	m := map[string]any{"message_id": id, "date": time.Now().Unix(), "chat": chat(chatID), "from": from}
	for k, v := range fields {
		m[k] = v
	}
	return m
}

func chat(id int64) map[string]any {
	if id < 0 {
		return map[string]any{"id": id, "type": "supergroup", "title": "Group " + strconv.FormatInt(-id, 10)}
	}
	return map[string]any{"id": id, "type": "private", "first_name": "User " + strconv.FormatInt(id, 10)}
}

func user(id int64, lang string) map[string]any {
	u := map[string]any{"id": id, "is_bot": false, "first_name": "User " + strconv.FormatInt(id, 10)}
	if lang != "" {
		u["language_code"] = lang
	}
	return u
}

// ReplyUpdate is userID replying with text, in their private chat, to m, a
// message the fake sent (Telegram's reply_to_message).
func (f *FakeAPI) ReplyUpdate(updateID int64, userID int64, to Message, text, lang string) []byte {
	return update(updateID, "message", message(updateID, userID, user(userID, lang),
		map[string]any{"text": text, "reply_to_message": f.MessageJSON(to)}))
}
