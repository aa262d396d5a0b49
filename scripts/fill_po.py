"""Fill a gettext catalog from JSON translation files and report what is still untranslated.

    .venv/bin/python scripts/fill_po.py lianxin/opinions/locale/zh_Hans/LC_MESSAGES/django.po tr1.json [tr2.json …]

Each JSON file maps an English msgid to its Chinese text ({"msgid": "中文"}; plurals: {"msgid": ["中文"]};
with a context: {"context\\u0004msgid": "中文"}). Existing translations are kept unless a JSON file
gives one; fuzzy flags are cleared for filled entries. Run compilemessages afterwards.
"""

import json
import sys

from babel.messages.pofile import read_po, write_po


def main(po_path: str, json_paths: list[str]) -> int:
    translations: dict[str, object] = {}
    for path in json_paths:
        with open(path, encoding="utf-8") as handle:
            translations.update(json.load(handle))
    with open(po_path, "rb") as handle:
        catalog = read_po(handle, locale="zh_Hans")
    missing = []
    for message in catalog:
        if not message.id:
            continue
        singular = message.id if isinstance(message.id, str) else message.id[0]
        key = f"{message.context}\x04{singular}" if message.context else singular
        if key in translations:
            value = translations[key]
            text = value if isinstance(value, str) else value[0]  # type: ignore[index]
            message.string = text if isinstance(message.id, str) else (text,)
            message.flags.discard("fuzzy")
        current = message.string if isinstance(message.string, str) else (message.string or ("",))[0]
        if not current:
            missing.append(key)
    catalog.fuzzy = False
    with open(po_path, "wb") as handle:
        write_po(handle, catalog, width=100)
    print(f"{po_path}: {len(missing)} untranslated")
    for key in missing:
        print("  ", repr(key))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
