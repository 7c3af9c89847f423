//! The command catalog as a person meets it through the real binary: `warroom check` names
//! each problem by file and field, and `serve` refuses to start on a broken catalog.

use std::path::Path;
use std::process::{Command, Output};

fn warroom(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(args)
        .current_dir(dir)
        .env_remove("WARROOM_CONFIG")
        .env_remove("WARROOM_INGEST_TOKEN")
        .env_remove("DISCORD_TOKEN")
        .output()
        .unwrap()
}

const USER: &str = "[[users]]\nname = \"ann\"\nroles = [\"duty_manager\"]\n\
    token_sha256 = \"0000000000000000000000000000000000000000000000000000000000000001\"\n";

#[test]
fn check_and_serve_name_each_catalog_problem_by_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let commands = dir.path().join("commands");
    std::fs::create_dir(&commands).unwrap();
    std::fs::write(
        commands.join("grep.toml"),
        "name = \"grep\"\ndescription = \"catalog-grep-description\"\nexecutor = \"shell\"\n\
         argv = [\"/usr/bin/grep\", \"-r\", \"x{pattern}\"]\n\
         params = [{ name = \"params\", type = \"string\", pattern = \"([a-z\" }]\n",
    )
    .unwrap();
    let config = dir.path().join("warroom.toml");
    std::fs::write(&config, USER).unwrap();
    let config = config.to_str().unwrap();

    let checked = warroom(&["check", "--config", config], dir.path());
    assert!(!checked.status.success());
    let report = String::from_utf8_lossy(&checked.stdout);
    let file = commands.join("grep.toml").display().to_string();
    for field in [
        "params[0].name: \"params\" is reserved",
        "params[0].pattern: \"([a-z\" is not a valid regular expression",
        "argv[2]: \"x{pattern}\": a placeholder must be a whole argument",
    ] {
        let expected = format!("{file}: {field}");
        assert!(
            report
                .lines()
                .any(|line| line.starts_with("FAIL") && line.contains(&expected)),
            "{expected} missing from:\n{report}"
        );
    }
    let served = warroom(
        &["serve", "--config", config, "--http-addr", "127.0.0.1:0"],
        dir.path(),
    );
    assert_eq!(served.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&served.stderr);
    assert!(
        stderr.contains(&format!("{file}: params[0].name: \"params\" is reserved")),
        "{stderr}"
    );

    // A valid file whose description no locale has: refused too, naming both locales.
    std::fs::write(
        commands.join("grep.toml"),
        "name = \"dns\"\ndescription = \"catalog-grep-description\"\nexecutor = \"shell\"\napprovals = 0\n\
         argv = [\"/usr/bin/getent\", \"hosts\", \"{service}\"]\n\
         params = [{ name = \"service\", type = \"service\" }]\n",
    )
    .unwrap();
    let checked = warroom(&["check", "--config", config], dir.path());
    assert!(!checked.status.success());
    let report = String::from_utf8_lossy(&checked.stdout);
    for locale in ["en-US", "zh-CN"] {
        let expected = format!(
            "{file}: description: \"catalog-grep-description\" is not a message in locales/{locale}/warroom.ftl"
        );
        assert!(
            report.contains(&expected),
            "{expected} missing from:\n{report}"
        );
    }

    // Fixed, the catalog loads and check says what it holds.
    std::fs::write(
        commands.join("grep.toml"),
        "name = \"dns\"\ndescription = \"catalog-dns-description\"\nexecutor = \"shell\"\napprovals = 0\n\
         argv = [\"/usr/bin/getent\", \"hosts\", \"{service}\"]\n\
         params = [{ name = \"service\", type = \"service\" }]\n",
    )
    .unwrap();
    let checked = warroom(&["check", "--config", config], dir.path());
    let report = String::from_utf8_lossy(&checked.stdout);
    assert!(checked.status.success(), "{report}");
    assert!(
        report.contains("ok   actions: 1 command(s) from"),
        "{report}"
    );
    assert!(report.contains("(dns)"), "{report}");
}
