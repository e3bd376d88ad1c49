def test_cli_fixture_runs_a_command(sqlite_cli):
    assert sqlite_cli.ok("new", "s1", "--headline", "H").strip() == "s1"
    result = sqlite_cli("add", "s1", "--text", "")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
