//! The web console's sign-in, as a browser without JavaScript uses it.

use crate::support::TestBot;

#[tokio::test]
async fn a_person_signs_in_with_their_token_and_sees_the_incident_list() {
    let bot = TestBot::spawn().await;
    let session = bot.web_sign_in("alice").await;
    let (status, html) = session.page("/incidents").await;
    assert_eq!(status, 200);
    assert!(html.contains("Incidents"), "{html}");
    assert!(!session.csrf().await.is_empty());
}
