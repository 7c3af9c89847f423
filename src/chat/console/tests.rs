use super::*;
use crate::store::SledStore;

fn text(message: &str) -> OutgoingMessage {
    OutgoingMessage {
        text: RichText::own(message),
        ..OutgoingMessage::default()
    }
}

#[tokio::test]
async fn direct_rooms_are_listed_to_their_person_alone_and_posts_are_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path(), 1 << 20).unwrap();
    let console = ConsoleChat::open(store.adapter_tree("console").unwrap(), Utc::now()).unwrap();
    let user = |name: &str| UserId(name.to_owned());
    for name in ["alice", "bob", "carol", "zed"] {
        console
            .direct(&user(name), &format!("direct:{name}"), &text("hi"))
            .await
            .unwrap();
    }
    // The same key again posts nothing.
    let first = console
        .direct(&user("bob"), "direct:again", &text("once"))
        .await
        .unwrap();
    let again = console
        .direct(&user("bob"), "direct:again", &text("once"))
        .await
        .unwrap();
    assert_eq!(first, again);
    let (bob_messages, _) = console.messages_page("dm-bob", 0, 10).unwrap();
    assert_eq!(bob_messages.len(), 2);
    console
        .open_room(
            "room:x",
            IncidentId::parse("INC-20261121-001").unwrap(),
            "inc",
            &RichText::own(""),
            &[],
        )
        .await
        .unwrap();
    let ids = |reader: Option<&UserId>, after: &str, limit: usize| {
        let (page, more) = console.rooms_page(after, limit, reader);
        (
            page.into_iter().map(|room| room.id).collect::<Vec<_>>(),
            more,
        )
    };
    let everyone = ["alerts", "general", "inc-20261121-001"];
    assert_eq!(
        ids(None, "", 10),
        (everyone.map(str::to_owned).to_vec(), false)
    );
    for (reader, own) in [("alice", "dm-alice"), ("bob", "dm-bob"), ("zed", "dm-zed")] {
        let (listed, _) = ids(Some(&user(reader)), "", 10);
        let mut expected: Vec<String> = everyone.map(str::to_owned).to_vec();
        expected.push(own.to_owned());
        expected.sort();
        assert_eq!(listed, expected, "{reader}");
    }
    // Paging one room at a time walks past the others' rooms and stops at the end.
    let bob = user("bob");
    let mut after = String::new();
    let mut walked = Vec::new();
    loop {
        let (page, more) = ids(Some(&bob), &after, 1);
        walked.extend(page.iter().cloned());
        match page.last() {
            Some(last) if more => after = last.clone(),
            _ => break,
        }
    }
    assert_eq!(walked, ["alerts", "dm-bob", "general", "inc-20261121-001"]);
    // Someone without a direct room sees none, wherever the page starts.
    assert_eq!(
        ids(Some(&user("dave")), "dm-alice", 10).0,
        ["general", "inc-20261121-001"]
    );
    assert!(room_visible_to("dm-bob", Some(&bob)));
    assert!(!room_visible_to("dm-bob", Some(&user("alice"))));
    assert!(!room_visible_to("dm-bob", None));
    assert!(room_visible_to("general", None));
    assert_eq!(
        console.announce_room(),
        Some(RoomId(GENERAL_ROOM.to_owned()))
    );
}

#[tokio::test]
async fn memory_keeps_the_newest_messages_and_older_ones_are_read_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path(), 1 << 20).unwrap();
    let console = ConsoleChat::open(store.adapter_tree("console").unwrap(), Utc::now()).unwrap();
    let room = RoomId(GENERAL_ROOM.to_owned());
    let total = MAX_MESSAGES_IN_MEMORY + 50;
    let mut first = None;
    for n in 0..total {
        let id = console
            .post(
                &room,
                &format!("outbox:{n}"),
                &text(&format!("message {n}")),
            )
            .await
            .unwrap();
        first.get_or_insert(id);
    }
    let first = first.unwrap();
    assert_eq!(console.lock().messages.len(), MAX_MESSAGES_IN_MEMORY);
    // The oldest message is no longer in memory, yet it reads, pages, reacts and edits.
    assert!(!console.lock().messages.contains_key(&1));
    assert_eq!(console.message(&first.0).unwrap().text, "message 0");
    let (page, more) = console.messages_page(GENERAL_ROOM, 0, 3).unwrap();
    let texts: Vec<&str> = page.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["message 0", "message 1", "message 2"]);
    assert!(more);
    let (_, new) = console
        .react(&first.0, &UserId("alice".into()), "👍")
        .unwrap();
    assert!(new);
    console.edit(&room, &first, &text("edited")).await.unwrap();
    let reread = console.message(&first.0).unwrap();
    assert_eq!(reread.text, "edited");
    assert_eq!(reread.reactions["👍"], ["alice"]);
    // A delivery key cached long ago still finds its message: a redelivery posts nothing.
    console.lock().keys.clear();
    let again = console
        .post(&room, "outbox:0", &text("message 0"))
        .await
        .unwrap();
    assert_eq!(again, first);
    // A restart keeps the bound and the whole history.
    drop(console);
    let console = ConsoleChat::open(store.adapter_tree("console").unwrap(), Utc::now()).unwrap();
    assert_eq!(console.lock().messages.len(), MAX_MESSAGES_IN_MEMORY);
    let (page, _) = console.messages_page(GENERAL_ROOM, 0, 1).unwrap();
    assert_eq!(page[0].text, "edited");
    assert_eq!(
        console.lock().room_messages[GENERAL_ROOM].len(),
        total,
        "every message is still listed"
    );
}

#[tokio::test]
async fn typed_text_longer_than_a_chat_message_is_refused_and_not_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path(), 1 << 20).unwrap();
    let console = ConsoleChat::open(store.adapter_tree("console").unwrap(), Utc::now()).unwrap();
    let longest = "é".repeat(MAX_TYPED_CHARS);
    let stored = console
        .record_typed(GENERAL_ROOM, "alice", &longest)
        .unwrap();
    assert_eq!(stored.text, longest);
    let too_long = format!("{longest}x");
    let refused = console.record_typed(GENERAL_ROOM, "alice", &too_long);
    assert!(
        matches!(
            refused,
            Err(ConsoleError::TypedTooLong { max: MAX_TYPED_CHARS, chars }) if chars == MAX_TYPED_CHARS + 1
        ),
        "{refused:?}"
    );
    let (messages, _) = console.messages_page(GENERAL_ROOM, 0, 10).unwrap();
    assert_eq!(messages.len(), 1, "only the message that fits is kept");
}
