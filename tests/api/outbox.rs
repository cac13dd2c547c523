//! Every notice is recorded, whatever the channels: a channel that is off leaves it "not sent"
//! where the unit, its offices and the admins can see it; turning the channel on sends what is
//! waiting; an admin sends a given-up notice again.

use std::sync::Arc;

use chrono::Utc;
use govbadge::notify::sender::Sender;
use govbadge::store::outbox;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread")]
async fn notices_with_channels_off_are_recorded_shown_and_sent_once_a_channel_is_on() {
    // The defaults: mail and SMS off.
    let app = spawn_app_with(|_| {}).await;
    app.cast().await;
    issued_badge(&app, valid_input()).await;
    let messages = outbox::list(&app.ctx.pool, outbox::Filter::All, None, 100).await.unwrap();
    let issued: Vec<_> = messages.iter().filter(|m| m.topic == "issued").collect();
    assert_eq!(issued.len(), 2, "the badge notice is recorded for e-mail and SMS: {messages:?}");
    assert!(messages.iter().all(|m| m.sent_at.is_none()));
    let id = issued[0].application_id.unwrap();

    // The unit sees which notices did not go out, and why, without full addresses.
    let unit = app.browser("清丰县人民政府.政务").await;
    let page = unit.text(&format!("/applications/{id}")).await;
    let notices = &page[page.find("通知记录").expect("a notices section")..];
    assert!(notices.contains("未发送（该发送渠道未开启）"), "{notices}");
    assert!(notices.contains("138****2001") && !notices.contains("13803932001"), "addresses are masked: {notices}");
    // So does the admin, on the outbox page.
    let admin = app.browser("admin").await;
    let page = admin.text("/admin/outbox?status=waiting").await;
    assert!(page.contains("网站标识代码") && page.contains("未开启"), "{page}");

    // Mail is turned on: what waits by e-mail is sent; SMS still waits.
    let smtp = SmtpSink::start();
    let mut config = (*app.ctx.config).clone();
    config.mail.enabled = true;
    config.mail.host = "127.0.0.1".into();
    config.mail.port = smtp.port;
    let sender = Sender::new(app.ctx.pool.clone(), &config, Arc::new(tokio::sync::Notify::new())).unwrap();
    let sent = sender.drain().await.unwrap();
    assert_eq!(sent, messages.iter().filter(|m| m.channel == "email").count());
    assert_eq!(smtp.wait_for(sent).await.len(), sent, "the SMTP server received them");
    let after = outbox::list(&app.ctx.pool, outbox::Filter::Waiting, None, 100).await.unwrap();
    assert!(after.iter().all(|m| m.channel == "sms"), "{after:?}");
    assert!(sender.drain().await.unwrap() == 0, "nothing is sent twice");
}

#[tokio::test]
async fn an_admin_sends_a_given_up_notice_again() {
    let app = spawn_app_with(|_| {}).await;
    app.cast().await;
    issued_badge(&app, valid_input()).await;
    let message = outbox::list(&app.ctx.pool, outbox::Filter::All, None, 1).await.unwrap().remove(0);
    outbox::mark_attempt_failed(&app.ctx.pool, message.id, "550 mailbox unavailable", None, Utc::now()).await.unwrap();

    let admin = app.browser("admin").await;
    let page = admin.text("/admin/outbox?status=failed").await;
    assert!(page.contains("发送失败") && page.contains("550 mailbox unavailable") && page.contains("重新发送"));
    let resend = format!("/admin/outbox/{}/resend", message.id);
    let unit = app.browser("清丰县人民政府.政务").await;
    assert_eq!(unit.post(&resend, &[]).await.status(), 403, "only admins resend");
    assert_eq!(admin.post(&resend, &[]).await.status(), 303);
    let waiting = outbox::list(&app.ctx.pool, outbox::Filter::Waiting, None, 100).await.unwrap();
    assert!(waiting.iter().any(|m| m.id == message.id && m.attempts == 0));
}

/// Two instances of the service on one database, delivering at the same moment: each notice
/// goes out exactly once (each instance claims its messages before sending them).
#[tokio::test(flavor = "multi_thread")]
async fn two_instances_on_one_database_send_each_notice_once() {
    let first = spawn_app_with(|_| {}).await;
    let second = spawn_app_on(tempfile::tempdir().unwrap(), first.ctx.config.database.url.clone(), |_| {}).await;
    let now = Utc::now();
    let mut tx = first.ctx.pool.begin().await.unwrap();
    let subjects: Vec<String> = (0..60).map(|i| format!("通知{i:02}")).collect();
    for subject in &subjects {
        let m = outbox::NewMessage {
            application_id: None,
            topic: "test",
            channel: outbox::Channel::Email,
            recipient: "unit@example.gov.cn",
            subject,
            body: "正文",
        };
        outbox::enqueue(&mut tx, &m, now).await.unwrap();
    }
    tx.commit().await.unwrap();

    let smtp = SmtpSink::start();
    let sender = |app: &TestApp| {
        let mut config = (*app.ctx.config).clone();
        config.mail.enabled = true;
        config.mail.host = "127.0.0.1".into();
        config.mail.port = smtp.port;
        Sender::new(app.ctx.pool.clone(), &config, Arc::new(tokio::sync::Notify::new())).unwrap()
    };
    let (a, b) = (sender(&first), sender(&second));
    let (sent_a, sent_b) = tokio::join!(a.drain(), b.drain());
    let (sent_a, sent_b) = (sent_a.unwrap(), sent_b.unwrap());
    assert_eq!(sent_a + sent_b, subjects.len(), "every notice is sent once ({sent_a} + {sent_b})");
    let mails = smtp.wait_for(subjects.len()).await;
    // Anything sent twice would have arrived by now.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let mails = if smtp.messages().len() > mails.len() { smtp.messages() } else { mails };
    assert_eq!(mails.len(), subjects.len(), "the SMTP server got each notice once");
    let waiting = outbox::list(&first.ctx.pool, outbox::Filter::Waiting, None, 100).await.unwrap();
    assert!(waiting.is_empty(), "{waiting:?}");
}
