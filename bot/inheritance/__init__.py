"""Inheritance (离职继承 and 在职继承): customers and groups handed to other members."""
