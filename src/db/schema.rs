// The schema shared by both backends: only portable types (Integer, Text, Date, Timestamp).

diesel::table! {
    documents (id) {
        id -> Integer,
        number -> Nullable<Text>,
        title -> Nullable<Text>,
        issuing_office -> Nullable<Text>,
        issued_on -> Nullable<Date>,
        source_text -> Text,
        imported_at -> Timestamp,
    }
}

diesel::table! {
    sections (id) {
        id -> Integer,
        document_id -> Integer,
        ordinal -> Integer,
        title -> Text,
    }
}

diesel::table! {
    measures (id) {
        id -> Integer,
        document_id -> Integer,
        section_id -> Nullable<Integer>,
        number -> Integer,
        label -> Text,
        title -> Text,
        body -> Text,
        deadline -> Nullable<Date>,
        deadline_text -> Nullable<Text>,
        closed_on -> Nullable<Date>,
    }
}

diesel::table! {
    departments (id) {
        id -> Integer,
        name -> Text,
        email -> Text,
        created_at -> Timestamp,
        head_email -> Text,
        webhook_kind -> Text,
        webhook_url -> Text,
        webhook_secret -> Text,
        mobile -> Text,
    }
}

diesel::table! {
    department_aliases (id) {
        id -> Integer,
        department_id -> Integer,
        alias -> Text,
    }
}

diesel::table! {
    assignments (id) {
        id -> Integer,
        measure_id -> Integer,
        department_id -> Integer,
        role -> Text,
        position -> Integer,
    }
}

diesel::table! {
    import_warnings (id) {
        id -> Integer,
        document_id -> Integer,
        measure_id -> Nullable<Integer>,
        kind -> Text,
        message -> Text,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Integer,
        at -> Timestamp,
        actor -> Text,
        action -> Text,
        entity -> Text,
        entity_id -> Nullable<Integer>,
        summary -> Text,
    }
}

diesel::joinable!(sections -> documents (document_id));
diesel::joinable!(measures -> documents (document_id));
diesel::joinable!(measures -> sections (section_id));
diesel::joinable!(department_aliases -> departments (department_id));
diesel::joinable!(assignments -> measures (measure_id));
diesel::joinable!(assignments -> departments (department_id));
diesel::joinable!(import_warnings -> documents (document_id));
diesel::joinable!(import_warnings -> measures (measure_id));

diesel::table! {
    users (id) {
        id -> Integer,
        username -> Text,
        display_name -> Text,
        email -> Text,
        role -> Text,
        department_id -> Nullable<Integer>,
        active -> Bool,
        password_hash -> Text,
        failed_logins -> Integer,
        locked_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        language -> Nullable<Text>,
        mobile -> Text,
    }
}

diesel::table! {
    sessions (id_hash) {
        id_hash -> Text,
        user_id -> Integer,
        csrf_token -> Text,
        flash -> Nullable<Text>,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Integer,
        user_id -> Integer,
        label -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(users -> departments (department_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(api_tokens -> users (user_id));

diesel::table! {
    leader_departments (user_id, department_id) {
        user_id -> Integer,
        department_id -> Integer,
    }
}

diesel::joinable!(leader_departments -> users (user_id));
diesel::joinable!(leader_departments -> departments (department_id));

diesel::table! {
    schedules (document_id) {
        document_id -> Integer,
        cadence -> Text,
        starts_on -> Date,
        periods -> Integer,
        custom_periods -> Text,
        due_days -> Integer,
        co_days -> Integer,
        updated_at -> Timestamp,
        ask_problems -> Bool,
        ask_next_steps -> Bool,
        due_day -> Nullable<Integer>,
    }
}

diesel::table! {
    obligations (id) {
        id -> Integer,
        document_id -> Integer,
        measure_id -> Integer,
        department_id -> Integer,
        role -> Text,
        period_key -> Text,
        period_label -> Text,
        period_start -> Date,
        period_end -> Date,
        due_on -> Date,
        original_due_on -> Nullable<Date>,
        state -> Text,
        handed_in_on -> Nullable<Date>,
    }
}

diesel::table! {
    receipts (id) {
        id -> Integer,
        document_id -> Integer,
        department_id -> Integer,
        dispatched_at -> Timestamp,
        due_on -> Date,
        acknowledged_at -> Nullable<Timestamp>,
        acknowledged_by -> Nullable<Text>,
    }
}

diesel::table! {
    reports (id) {
        id -> Integer,
        obligation_id -> Integer,
        version -> Integer,
        state -> Text,
        summary -> Text,
        percent -> Integer,
        progress -> Text,
        author -> Text,
        revision -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
        problems -> Text,
        next_steps -> Text,
    }
}

diesel::table! {
    evidence (id) {
        id -> Integer,
        report_id -> Integer,
        sha256 -> Text,
        size -> BigInt,
        filename -> Text,
        content_type -> Text,
        insufficient -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reviews (id) {
        id -> Integer,
        report_id -> Integer,
        reviewer -> Text,
        decision -> Text,
        comment -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    extensions (id) {
        id -> Integer,
        obligation_id -> Integer,
        requested_by -> Text,
        previous_due_on -> Date,
        requested_due_on -> Date,
        reason -> Text,
        state -> Text,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        decision_comment -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reminder_policy (id) {
        id -> Integer,
        policy -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    outbox (id) {
        id -> Integer,
        kind -> Text,
        to_addrs -> Text,
        cc_addrs -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        message_id -> Text,
        item_count -> Integer,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_at -> Nullable<Timestamp>,
        claimed_by -> Nullable<Text>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        channel -> Text,
        department_id -> Nullable<Integer>,
        payload -> Text,
    }
}

diesel::table! {
    chase_log (id) {
        id -> Integer,
        reminder_key -> Text,
        stage -> Text,
        stage_n -> Integer,
        obligation_id -> Nullable<Integer>,
        document_id -> Nullable<Integer>,
        department_id -> Nullable<Integer>,
        days -> Integer,
        recipients -> Text,
        outbox_id -> Nullable<Integer>,
        planned_at -> Timestamp,
        actor -> Text,
        note -> Text,
    }
}

diesel::joinable!(chase_log -> outbox (outbox_id));

diesel::joinable!(chase_log -> obligations (obligation_id));
diesel::joinable!(chase_log -> departments (department_id));
diesel::joinable!(schedules -> documents (document_id));
diesel::table! {
    closures (id) {
        id -> Integer,
        measure_id -> Integer,
        department_id -> Integer,
        summary -> Text,
        state -> Text,
        requested_by -> Text,
        requested_at -> Timestamp,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        decision_comment -> Text,
    }
}

diesel::table! {
    closure_files (id) {
        id -> Integer,
        closure_id -> Integer,
        sha256 -> Text,
        size -> BigInt,
        filename -> Text,
        content_type -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    canned_comments (id) {
        id -> Integer,
        body -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(closures -> measures (measure_id));
diesel::joinable!(closures -> departments (department_id));
diesel::joinable!(closure_files -> closures (closure_id));
diesel::joinable!(obligations -> measures (measure_id));
diesel::joinable!(obligations -> departments (department_id));
diesel::joinable!(receipts -> departments (department_id));
diesel::joinable!(reports -> obligations (obligation_id));
diesel::joinable!(evidence -> reports (report_id));
diesel::joinable!(reviews -> reports (report_id));
diesel::joinable!(extensions -> obligations (obligation_id));

diesel::allow_tables_to_appear_in_same_query!(
    documents,
    sections,
    measures,
    departments,
    department_aliases,
    assignments,
    import_warnings,
    audit_log,
    users,
    sessions,
    api_tokens,
    schedules,
    obligations,
    receipts,
    reminder_policy,
    outbox,
    chase_log,
    reports,
    evidence,
    reviews,
    extensions,
    closures,
    closure_files,
    canned_comments,
    leader_departments,
);

diesel::allow_columns_to_appear_in_same_group_by_clause!(reports::obligation_id, reviews::decision);

diesel::table! {
    calendar_years (year) {
        year -> Integer,
        holidays -> Text,
        workdays -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    calendar_feeds (id) {
        id -> Integer,
        token_hash -> Text,
        department_id -> Nullable<Integer>,
        user_id -> Nullable<Integer>,
        created_by -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        last_fetched_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    circulars (id) {
        id -> Integer,
        document_id -> Integer,
        number -> Text,
        title -> Text,
        window_label -> Text,
        inputs -> Text,
        file -> Binary,
        sha256 -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    instructions (id) {
        id -> Integer,
        measure_id -> Integer,
        obligation_id -> Nullable<Integer>,
        body -> Text,
        author -> Text,
        author_name -> Text,
        created_at -> Timestamp,
    }
}
