"""The basic resource library's rules: data elements, department layouts, record checks, search keys."""
