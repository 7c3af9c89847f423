use super::*;

#[test]
fn loki_streams_are_merged_in_time_order() {
    let body = br#"{"status":"success","data":{"resultType":"streams","result":[
        {"stream":{"app":"checkout","pod":"a"},"values":[["1700000000000000003","ERROR three"],["1700000000000000001","ERROR one"]]},
        {"stream":{"app":"checkout","pod":"b"},"values":[["1700000000000000002","ERROR two",{"trace_id":"x"}]]}
    ],"stats":{}}}"#;
    let batch = parse_loki(200, body).unwrap();
    let texts: Vec<&str> = batch.lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(texts, ["ERROR one", "ERROR two", "ERROR three"]);
    assert_eq!(
        batch.lines[0].at,
        Some(Utc.timestamp_nanos(1_700_000_000_000_000_001))
    );
    assert!(!batch.limited && !batch.partial);
    assert_eq!(batch.matched, None);
}

#[test]
fn loki_errors_and_metric_results_are_refused_clearly() {
    let error = parse_loki(
        400,
        b"parse error at line 1, col 1: syntax error: unexpected IDENTIFIER\n",
    )
    .unwrap_err();
    assert_eq!(
        error,
        LogsError::Api {
            status: 400,
            error: "parse error at line 1, col 1: syntax error: unexpected IDENTIFIER".to_owned()
        }
    );
    let matrix = br#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
    match parse_loki(200, matrix).unwrap_err() {
        LogsError::BadResponse(text) => assert!(text.contains("metric query"), "{text}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        parse_loki(200, b"<html>").unwrap_err(),
        LogsError::BadResponse(_)
    ));
}

#[test]
fn loki_keeps_the_newest_lines_past_the_limit() {
    let values: Vec<Value> = (0..MAX_LOG_LINES + 5)
        .map(|i| json!([format!("{}", 1_000 + i), format!("line {i}")]))
        .collect();
    let body = json!({"status":"success","data":{"resultType":"streams","result":[{"stream":{},"values":values}]}});
    let batch = parse_loki(200, body.to_string().as_bytes()).unwrap();
    assert_eq!(batch.lines.len(), MAX_LOG_LINES);
    assert!(batch.limited);
    assert_eq!(batch.lines[0].text, "line 5");
}

#[test]
fn elasticsearch_hits_become_lines_oldest_first_with_the_total() {
    let body = br#"{"took":5,"timed_out":false,"_shards":{"total":1,"successful":1,"skipped":0,"failed":0},
        "hits":{"total":{"value":1234,"relation":"eq"},"max_score":null,"hits":[
          {"_index":"logs","_id":"2","_score":null,"_source":{"@timestamp":"2026-12-01T10:00:02Z","message":"ERROR newest",
             "error":{"stack_trace":"java.lang.NullPointerException\n\tat a.B.c(B.java:1)"}}},
          {"_index":"logs","_id":"1","_score":null,"_source":{"@timestamp":1764583201000,"log":"ERROR oldest"}},
          {"_index":"logs","_id":"0","_score":null,"_source":{"level":"error"}}
        ]}}"#;
    let batch = parse_elasticsearch(200, body).unwrap();
    assert_eq!(batch.matched, Some(1234));
    assert!(!batch.partial);
    let texts: Vec<&str> = batch.lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            r#"{"level":"error"}"#,
            "ERROR oldest",
            "ERROR newest\njava.lang.NullPointerException\n\tat a.B.c(B.java:1)",
        ]
    );
    assert_eq!(
        batch.lines[2].at,
        Some(Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 2).unwrap())
    );
    assert_eq!(
        batch.lines[1].at,
        Utc.timestamp_millis_opt(1_764_583_201_000).single()
    );
    let analysis = analyze(&batch.lines);
    assert!(analysis.stack_trace.is_some());
}

#[test]
fn elasticsearch_old_totals_partial_answers_and_errors() {
    let old = br#"{"timed_out":true,"_shards":{"failed":1},"hits":{"total":7,"hits":[]}}"#;
    let batch = parse_elasticsearch(200, old).unwrap();
    assert_eq!(batch.matched, Some(7));
    assert!(batch.partial);

    let missing = br#"{"error":{"root_cause":[{"type":"index_not_found_exception","reason":"no such index [nope]"}],"type":"index_not_found_exception","reason":"no such index [nope]"},"status":404}"#;
    assert_eq!(
        parse_elasticsearch(404, missing).unwrap_err(),
        LogsError::Api {
            status: 404,
            error: "index_not_found_exception: no such index [nope]".to_owned()
        }
    );
    assert_eq!(
        parse_elasticsearch(502, b"Bad Gateway").unwrap_err(),
        LogsError::Api {
            status: 502,
            error: "Bad Gateway".to_owned()
        }
    );
}

#[test]
fn the_elasticsearch_query_is_bounded_and_sorted_newest_first() {
    let start = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
    let end = Utc.with_ymd_and_hms(2026, 12, 1, 10, 15, 0).unwrap();
    let query = elasticsearch_query("service:checkout AND level:error", start, end);
    assert_eq!(query["size"], json!(MAX_LOG_LINES));
    assert_eq!(query["sort"][0]["@timestamp"]["order"], "desc");
    assert_eq!(
        query["query"]["bool"]["must"][0]["query_string"]["query"],
        "service:checkout AND level:error"
    );
    assert_eq!(
        query["query"]["bool"]["filter"][0]["range"]["@timestamp"]["gte"],
        "2026-12-01T10:00:00.000Z"
    );
}

#[test]
fn the_elasticsearch_index_comes_from_the_url_path() {
    let es = |url: &str| {
        LogsExecutor::new(&LogsSettings {
            kind: LogsKind::Elasticsearch,
            url: url.to_owned(),
        })
        .unwrap()
    };
    let with_index = es("http://es:9200/app-logs-*");
    assert_eq!(with_index.index, "app-logs-*");
    assert_eq!(with_index.base.path(), "/");
    let behind_proxy = es("http://proxy/es/logs/");
    assert_eq!(behind_proxy.index, "logs");
    assert_eq!(behind_proxy.base.path(), "/es");
    assert_eq!(es("http://es:9200").index, "_all");
}
