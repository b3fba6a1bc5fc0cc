"""Install lines that work: specguard is installed from its checkout, not from the package index (issue 14)."""
import subprocess
import sys


def test_audit_without_its_sdk_names_an_install_line_that_works(tmp_path):
    # a Python that cannot import boto3 / azure.identity: a blocking meta-path finder
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('boto3', 'azure'):\n"
        "            raise ModuleNotFoundError(name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from scanner.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n")
    for cloud, want in (("aws", "pip install boto3 (or, in the specguard checkout, pip install '.[aws]')"),
                        ("azure", "in the specguard checkout, pip install '.[azure]'")):
        r = subprocess.run([sys.executable, "-c", code, "audit", cloud, "-o", str(tmp_path / "r.json")],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 3, r.stderr
        assert want in r.stderr, r.stderr
        assert "specguard[" not in r.stderr
