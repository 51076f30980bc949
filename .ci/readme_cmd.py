"""Print the README's command for a step: the line after `# set-up` or `# test` inside a fenced block of README.md.
CI runs exactly what a user reads. Usage: python3 .ci/readme_cmd.py set-up|test"""
import re, sys
from pathlib import Path

def command(step:str, readme:str)->str:
    for block in re.findall(r"```[a-z]*\n(.*?)```", readme, flags=re.S):
        lines = [l.strip() for l in block.strip().splitlines()]
        for i, l in enumerate(lines[:-1]):
            if l == f"# {step}": return lines[i + 1]
    sys.exit(f"readme_cmd: README.md has no fenced block with a '# {step}' line followed by the command")

if __name__ == "__main__": print(command(sys.argv[1], (Path(__file__).resolve().parents[1]/"README.md").read_text()))
