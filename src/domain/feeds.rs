//! iCalendar (RFC 5545) feeds of due dates (日历订阅): each obligation an all-day event on its
//! due date with a reminder at 09:00 the day before. Pure: the events in, the text out; the
//! crate does the escaping and line folding.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use icalendar::{Alarm, Calendar, Component, EventLike};

/// One due date in a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEvent {
    /// Stable across fetches, so a calendar updates the event when its date moves.
    pub uid: String,
    pub due_on: NaiveDate,
    pub summary: String,
    pub description: String,
    pub url: String,
}

/// The feed's text. `name` is the calendar's title in the subscriber's app.
pub fn ics(name: &str, events: &[FeedEvent], now: DateTime<Utc>, reminder: &str) -> String {
    let mut cal = Calendar::new();
    cal.name(name);
    // Calendars that honour it fetch again every six hours.
    cal.ttl(&Duration::hours(6));
    cal.append_property(("X-WR-TIMEZONE", "Asia/Shanghai"));
    for e in events {
        let mut event = icalendar::Event::new();
        event
            .uid(&e.uid)
            .timestamp(now)
            .all_day(e.due_on)
            // The end of an all-day event is the day after (exclusive).
            .ends(e.due_on + Duration::days(1))
            .summary(&e.summary)
            .description(&e.description)
            .url(&e.url)
            // 09:00 on the day before (an all-day event starts at midnight).
            .alarm(Alarm::display(reminder, -Duration::hours(15)));
        cal.push(event.done());
    }
    cal.done().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_due_date_is_an_all_day_event_with_a_reminder_the_day_before() {
        let events = [FeedEvent {
            uid: "obligation-7@duban".into(),
            due_on: NaiveDate::from_ymd_opt(2027, 1, 11).unwrap(),
            summary: "报送截止：措施 一（一）促进就业, 创业；（牵头）".into(),
            description: "2026年第四季度\n待报送".into(),
            url: "https://db.example.gov.cn/obligations/7".into(),
        }];
        let now = DateTime::from_timestamp(1_767_225_600, 0).unwrap();
        let text = ics("督办 · 地区人社局", &events, now, "明天报送截止");
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(text.contains("DTSTART;VALUE=DATE:20270111"), "{text}");
        assert!(text.contains("UID:obligation-7@duban"));
        assert!(text.contains("DTEND;VALUE=DATE:20270112"), "{text}");
        assert!(
            text.contains("TRIGGER:-PT54000S"),
            "15 hours before: {text}"
        );
        // Commas are escaped, lines folded at 75 octets.
        assert!(text.contains("促进就业\\, 创业"), "{text}");
        assert!(text.lines().all(|l| l.len() <= 75), "{text}");
        let parsed: icalendar::Calendar = text.parse().unwrap();
        let event = parsed.events().next().unwrap();
        assert_eq!(
            event.get_start(),
            Some(icalendar::DatePerhapsTime::Date(events[0].due_on))
        );
        assert_eq!(event.get_summary(), Some(events[0].summary.as_str()));
    }
}
