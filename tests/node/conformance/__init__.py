TARGET, KIT, MEMBER = "sh-pudong", "ck-kit", "conformance"
