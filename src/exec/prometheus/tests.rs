use super::*;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn answers_are_read_by_their_documented_shapes() {
    let vector = br#"{"status":"success","data":{"resultType":"vector","result":[
        {"metric":{"__name__":"up","job":"api"},"value":[1435781451.781,"1"]},
        {"metric":{"__name__":"up","job":"db"},"value":[1435781451.781,"NaN"]}]}}"#;
    match parse_answer(200, vector).unwrap() {
        QueryResult::Vector(samples) => {
            assert_eq!(samples.len(), 2);
            assert_eq!(
                samples[0].labels,
                labels(&[("__name__", "up"), ("job", "api")])
            );
            assert_eq!(samples[0].value, 1.0);
            assert!(samples[1].value.is_nan());
        }
        other => panic!("{other:?}"),
    }
    let matrix = br#"{"status":"success","data":{"resultType":"matrix","result":[
        {"metric":{"job":"api"},"values":[[1,"1"],[2,"+Inf"],[3,"-Inf"]]}]}}"#;
    assert_eq!(
        parse_answer(200, matrix).unwrap(),
        QueryResult::Matrix(vec![Series {
            labels: labels(&[("job", "api")]),
            values: vec![1.0, f64::INFINITY, f64::NEG_INFINITY],
        }])
    );
    let scalar = br#"{"status":"success","data":{"resultType":"scalar","result":[1,"2.5"]}}"#;
    assert_eq!(parse_answer(200, scalar).unwrap(), QueryResult::Scalar(2.5));
    let string = br#"{"status":"success","data":{"resultType":"string","result":[1,"hi"]},"warnings":["w"]}"#;
    assert_eq!(
        parse_answer(200, string).unwrap(),
        QueryResult::Text("hi".to_owned())
    );
}

#[test]
fn error_answers_become_clear_errors() {
    let table: &[(u16, &[u8], PrometheusError)] = &[
        (
            400,
            br#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error: unexpected <op:*>"}"#,
            PrometheusError::Api {
                error_type: "bad_data".to_owned(),
                error: "invalid parameter \"query\": 1:5: parse error: unexpected <op:*>".to_owned(),
            },
        ),
        (
            503,
            br#"{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}"#,
            PrometheusError::Api {
                error_type: "timeout".to_owned(),
                error: "query timed out in expression evaluation".to_owned(),
            },
        ),
        (
            502,
            b"<html>Bad Gateway</html>\n",
            PrometheusError::Http {
                status: 502,
                body: "<html>Bad Gateway</html>".to_owned(),
            },
        ),
        (
            200,
            b"not json",
            PrometheusError::BadResponse("expected ident at line 1 column 2".to_owned()),
        ),
        (
            200,
            br#"{"status":"success","data":{"resultType":"weird","result":[]}}"#,
            PrometheusError::BadResponse("unknown resultType weird".to_owned()),
        ),
        (
            200,
            br#"{"status":"success","data":{"resultType":"vector","result":{"x":1}}}"#,
            PrometheusError::BadResponse("unexpected shape in a vector result".to_owned()),
        ),
    ];
    for (status, body, expected) in table {
        assert_eq!(
            parse_answer(*status, body).unwrap_err(),
            *expected,
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn labels_read_like_promql() {
    assert_eq!(format_labels(&labels(&[("__name__", "up")])), "up");
    assert_eq!(
        format_labels(&labels(&[("__name__", "up"), ("job", "a\"b")])),
        "up{job=\"a\\\"b\"}"
    );
    assert_eq!(format_labels(&labels(&[("job", "x")])), "{job=\"x\"}");
    let long = labels(&[("x", &"y".repeat(1000))]);
    assert_eq!(format_labels(&long).chars().count(), 200);
}

#[test]
fn results_put_series_outside_the_thresholds_first() {
    let result = QueryResult::Vector(vec![
        Sample {
            labels: labels(&[("pod", "a")]),
            value: 0.01,
        },
        Sample {
            labels: labels(&[("pod", "b")]),
            value: 0.2,
        },
    ]);
    let (summary, details, output) = describe_result(&result, None, (None, Some(0.05)));
    assert_eq!(summary.id, "prom-threshold-summary");
    assert_eq!(details[0].id, "prom-series-above");
    assert_eq!(details[1].id, "prom-series");
    assert!(
        output.starts_with("{pod=\"b\"} => 0.2  [outside the thresholds]\n"),
        "{output}"
    );

    let (summary, details, _) = describe_result(&result, None, (None, None));
    assert_eq!(summary.id, "prom-vector");
    assert_eq!(details.len(), 2);
    let (summary, _, output) = describe_result(&QueryResult::Vector(vec![]), None, (None, None));
    assert_eq!(summary.id, "prom-no-data");
    assert_eq!(output, "no data\n");
}

#[test]
fn many_series_are_shown_bounded() {
    let samples: Vec<Sample> = (0..MAX_SERIES_IN_OUTPUT + 20)
        .map(|i| Sample {
            labels: labels(&[("i", &i.to_string())]),
            value: 1.0,
        })
        .collect();
    let (_, details, output) = describe_result(&QueryResult::Vector(samples), None, (None, None));
    assert_eq!(details.len(), MAX_SERIES_SHOWN + 1);
    assert_eq!(details.last().unwrap().id, "prom-more-series");
    assert!(output.ends_with("… 20 more series\n"), "{output}");
}

#[test]
fn base_urls_must_be_http() {
    assert!(base_url("prometheus", "http://prom:9090").is_ok());
    assert!(base_url("prometheus", "https://prom.example.com/prefix/").is_ok());
    let error = base_url("prometheus", "ftp://user:secret@prom/x?token=t").unwrap_err();
    let text = error.to_string();
    assert!(text.contains("[prometheus]"), "{text}");
    assert!(
        !text.contains("secret") && !text.contains("token"),
        "{text}"
    );
    assert!(base_url("logs", "not a url").is_err());
}
